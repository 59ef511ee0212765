export function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page lacks #${id}`);
  return node as T;
}

/**
 * Shows the image at `url` in `box` once it has loaded, `fallback` text until then and when it
 * cannot load (WeChat's avatar host is on the internet; the playground runs offline). An image
 * that finishes loading after a newer one was asked for is dropped.
 */
export function showImage(box: HTMLElement, url: string | undefined, fallback: string): void {
  const shown = box.querySelector('img');
  if (url && shown?.getAttribute('src') === url) return;
  box.dataset.src = url ?? '';
  box.replaceChildren(fallback);
  if (!url) return;
  const img = document.createElement('img');
  img.alt = 'avatar';
  img.onload = () => {
    if (box.dataset.src === url) box.replaceChildren(img);
  };
  img.src = url;
}
