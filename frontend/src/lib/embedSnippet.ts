/** The HTML a client pastes into its website to show the configurator of one product. */

function attribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `{origin}/embed/{product}?key={pk}`. */
export function embedUrl(origin: string, productId: string, key: string): string {
  return `${origin.replace(/\/+$/, '')}/embed/${encodeURIComponent(productId)}?key=${encodeURIComponent(key)}`;
}

/** `<iframe src=… title=… width="100%" height="640" style="border:0" allow="fullscreen"></iframe>`. */
export function embedSnippet(origin: string, productId: string, productName: string, key: string): string {
  const title = `${productName} configurator`;
  return `<iframe src="${attribute(embedUrl(origin, productId, key))}" title="${attribute(title)}" width="100%" height="640" style="border:0" allow="fullscreen"></iframe>`;
}
