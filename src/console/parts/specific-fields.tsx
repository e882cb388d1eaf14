// The fields of one kind of 特定业务 on the issue form: a lease's or a site's place and terms, or the
// rows of vehicles or travellers. Only the chosen kind's fields show; each shows its problems.
import type { ComponentChildren } from 'preact';
import { language, t, type Word } from '../i18n';

export type BusinessKind = 'plain' | 'differential' | 'property_lease' | 'construction' | 'freight' | 'passenger';
export const BUSINESS_KINDS: readonly BusinessKind[] = ['plain', 'differential', 'property_lease', 'construction', 'freight', 'passenger'];

export type Row = Record<string, string>;
export interface SpecificDraft {
  place: Row;
  rows: Row[];
}

const PLACE_FIELDS: Readonly<Record<'property_lease' | 'construction', ReadonlyArray<readonly [string, Word]>>> = {
  property_lease: [
    ['province', 'province'],
    ['city', 'city'],
    ['address', 'placeAddress'],
    ['leaseFrom', 'leaseFrom'],
    ['leaseTo', 'leaseTo'],
    ['certificateNo', 'certificateNo'],
  ],
  construction: [
    ['province', 'province'],
    ['city', 'city'],
    ['address', 'siteAddress'],
    ['projectName', 'projectName'],
    ['landVatProjectNo', 'landVatProjectNo'],
  ],
};
const ROW_FIELDS: Readonly<Record<'freight' | 'passenger', ReadonlyArray<readonly [string, Word]>>> = {
  freight: [
    ['vehicleType', 'vehicleType'],
    ['vehicleNo', 'vehicleNo'],
    ['from', 'origin'],
    ['to', 'destination'],
    ['goods', 'goods'],
  ],
  passenger: [
    ['name', 'traveller'],
    ['idNumber', 'idNumber'],
    ['date', 'travelDate'],
    ['from', 'origin'],
    ['to', 'destination'],
    ['seatClass', 'seatClass'],
    ['vehicleType', 'vehicleType'],
  ],
};
const VEHICLES: Readonly<Record<'freight' | 'passenger', ReadonlyArray<readonly [string, string, string]>>> = {
  freight: [
    ['road', '公路运输', 'Road'],
    ['railway', '铁路运输', 'Railway'],
    ['waterway', '水路运输', 'Waterway'],
    ['air', '航空运输', 'Air'],
    ['pipeline', '管道运输', 'Pipeline'],
    ['other', '其他运输工具', 'Other'],
  ],
  passenger: [
    ['train', '火车', 'Train'],
    ['plane', '飞机', 'Plane'],
    ['bus', '汽车', 'Bus'],
    ['ship', '船舶', 'Ship'],
    ['other', '其他', 'Other'],
  ],
};
const DATE_FIELDS = ['leaseFrom', 'leaseTo', 'date'];

export const blankRow = (kind: 'freight' | 'passenger'): Row => Object.fromEntries(ROW_FIELDS[kind].map(([field]) => [field, field === 'vehicleType' ? VEHICLES[kind][0]![0] : '']));
export const blankSpecific = (): SpecificDraft => ({ place: { crossCity: 'false' }, rows: [] });

/** The request's `specific` block for the chosen kind, or undefined for none. */
export function specificBody(kind: BusinessKind, draft: SpecificDraft): Record<string, unknown> | undefined {
  const trimmed = (row: Row) => Object.fromEntries(Object.entries(row).filter(([, value]) => value.trim() !== '').map(([key, value]) => [key, value.trim()]));
  if (kind === 'property_lease' || kind === 'construction') {
    const { crossCity, ...place } = draft.place;
    const fields = new Set(PLACE_FIELDS[kind].map(([field]) => field));
    return { kind, ...Object.fromEntries(Object.entries(trimmed(place)).filter(([key]) => fields.has(key))), crossCity: crossCity === 'true' };
  }
  if (kind === 'freight') return { kind, shipments: draft.rows.map(trimmed) };
  if (kind === 'passenger') return { kind, travellers: draft.rows.map(trimmed) };
  return undefined;
}

/** Every path the kind has a field for, so its problems show beside it. */
export function specificPaths(kind: BusinessKind, draft: SpecificDraft): string[] {
  if (kind === 'property_lease' || kind === 'construction') return ['/specific', '/specific/crossCity', ...PLACE_FIELDS[kind].map(([field]) => `/specific/${field}`)];
  if (kind === 'freight' || kind === 'passenger') {
    const list = kind === 'freight' ? 'shipments' : 'travellers';
    return ['/specific', `/specific/${list}`, ...draft.rows.flatMap((_, index) => ROW_FIELDS[kind].map(([field]) => `/specific/${list}/${index}/${field}`))];
  }
  return [];
}

interface Props {
  kind: BusinessKind;
  draft: SpecificDraft;
  onChange: (draft: SpecificDraft, path: string) => void;
  errorsAt: (path: string) => ComponentChildren;
  marks: (path: string) => Record<string, unknown>;
}

export function SpecificFields({ kind, draft, onChange, errorsAt, marks }: Props) {
  if (kind === 'property_lease' || kind === 'construction') {
    return (
      <fieldset data-testid="specific-fields">
        <legend>{t(kind)}</legend>
        {PLACE_FIELDS[kind].map(([field, word]) => (
          <label key={field}>
            {t(word)}
            <input
              name={`specific.${field}`}
              {...(DATE_FIELDS.includes(field) && { type: 'date' as const })}
              value={draft.place[field] ?? ''}
              onInput={(event) => onChange({ ...draft, place: { ...draft.place, [field]: event.currentTarget.value } }, `/specific/${field}`)}
              {...marks(`/specific/${field}`)}
            />
            {errorsAt(`/specific/${field}`)}
          </label>
        ))}
        <label class="check">
          <input
            type="checkbox"
            name="specific.crossCity"
            checked={draft.place.crossCity === 'true'}
            onChange={(event) => onChange({ ...draft, place: { ...draft.place, crossCity: String(event.currentTarget.checked) } }, '/specific/crossCity')}
          />{' '}
          {t('crossCity')}
        </label>
      </fieldset>
    );
  }
  if (kind !== 'freight' && kind !== 'passenger') return null;
  const list = kind === 'freight' ? 'shipments' : 'travellers';
  const setRow = (index: number, field: string, value: string) =>
    onChange({ ...draft, rows: draft.rows.map((row, n) => (n === index ? { ...row, [field]: value } : row)) }, `/specific/${list}/${index}/${field}`);
  return (
    <fieldset data-testid="specific-fields">
      <legend>{t(kind)}</legend>
      {errorsAt(`/specific/${list}`)}
      {draft.rows.map((row, index) => (
        <div class="line" key={index} role="group" aria-label={`${t(kind === 'freight' ? 'vehicle' : 'traveller')} ${index + 1}`}>
          {ROW_FIELDS[kind].map(([field, word]) => (
            <label key={field}>
              {t(word)}
              {field === 'vehicleType' ? (
                <select name={`specific.${list}.${index}.${field}`} value={row[field]} onChange={(event) => setRow(index, field, event.currentTarget.value)}>
                  {VEHICLES[kind].map(([code, zh, en]) => (
                    <option key={code} value={code}>
                      {language.value === 'zh' ? zh : en}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  name={`specific.${list}.${index}.${field}`}
                  {...(DATE_FIELDS.includes(field) && { type: 'date' as const })}
                  value={row[field] ?? ''}
                  onInput={(event) => setRow(index, field, event.currentTarget.value)}
                  {...marks(`/specific/${list}/${index}/${field}`)}
                />
              )}
              {errorsAt(`/specific/${list}/${index}/${field}`)}
            </label>
          ))}
          {draft.rows.length > 1 && (
            <button type="button" class="secondary" onClick={() => onChange({ ...draft, rows: draft.rows.filter((_, n) => n !== index) }, `/specific/${list}`)}>
              {t('remove')}
            </button>
          )}
        </div>
      ))}
      <button type="button" class="secondary" onClick={() => onChange({ ...draft, rows: [...draft.rows, blankRow(kind)] }, `/specific/${list}`)}>
        {t(kind === 'freight' ? 'addVehicle' : 'addTraveller')}
      </button>
    </fieldset>
  );
}
