// An invoice's status (and stage while pending) as a coloured word.
import { isWord, t } from '../i18n';

export function StatusBadge({ status, stage }: { status: string; stage?: string | null }) {
  const word = stage && isWord(stage) ? t(stage) : isWord(status) ? t(status) : status;
  return <span class={`badge badge-${status}`}>{status === 'pending' && stage ? `${t('pending')} · ${word}` : word}</span>;
}
