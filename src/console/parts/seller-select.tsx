// Which of the user's sellers a write is for: one field, the same on every page that issues.
import { t } from '../i18n';

export function SellerSelect({ sellers, value, onChange }: { sellers: readonly string[]; value: string; onChange: (taxId: string) => void }) {
  return (
    <label>
      {t('seller')}
      <select name="seller" value={value} onChange={(event) => onChange(event.currentTarget.value)}>
        {sellers.map((taxId) => (
          <option key={taxId} value={taxId}>
            {taxId}
          </option>
        ))}
      </select>
    </label>
  );
}
