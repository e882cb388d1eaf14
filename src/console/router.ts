// Pages by path under /console, moved between without reloading (the gateway serves the same page for every path).
import { signal } from '@preact/signals';

const BASE = '/console';
const current = () => location.pathname.replace(/\/+$/, '').slice(BASE.length) || '/';

export const path = signal(current());
export const query = signal(new URLSearchParams(location.search));

export function navigate(to: string): void {
  history.pushState(null, '', `${BASE}${to}`);
  path.value = current();
  query.value = new URLSearchParams(location.search);
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => {
  path.value = current();
  query.value = new URLSearchParams(location.search);
});

/** A link that moves within the console. */
export function linkProps(to: string) {
  return {
    href: `${BASE}${to}`,
    onClick: (event: MouseEvent) => {
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      navigate(to);
    },
  };
}
