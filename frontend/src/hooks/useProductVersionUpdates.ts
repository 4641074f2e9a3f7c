/** While a product's configurator is open, a new version of its template (published by an
 * artist, or saved through the add-on's live link) is loaded at once: `reload` fetches the
 * product again, and the configurator starts afresh on it from the values in the address
 * (those that no longer fit are reset, and the page says so). */
import { useEffect } from 'react';
import { useToast } from '../context/ToastContext';
import { followProductVersions } from '../services/productVersions';

export function useProductVersionUpdates(productId: string | undefined, shownVersion: number | undefined,
  reload: () => void): void {
  const { notify } = useToast();
  useEffect(() => {
    if (!productId || shownVersion === undefined) return undefined;
    return followProductVersions(productId, shownVersion, (event) => {
      notify(`This product was updated (version ${event.schema_version}); the configurator shows it now.`);
      reload();
    });
  }, [productId, shownVersion, reload, notify]);
}
