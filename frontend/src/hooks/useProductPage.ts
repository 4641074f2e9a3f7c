/** The product of a configurator page (`/configure/:productId`, `/embed/:productId`): loaded
 * from the address, named in the document's title, and loaded again whenever a new version of
 * its template is published (`useProductVersionUpdates`). */
import { useCallback } from 'react';
import { useParams } from 'react-router';
import { api } from '../services/api';
import type { Product } from '../types/api';
import { useAsync, type AsyncState } from './useAsync';
import { useDocumentTitle } from './useDocumentTitle';
import { useProductVersionUpdates } from './useProductVersionUpdates';

export function useProductPage(): { productId: string; product: AsyncState<Product> } {
  const { productId = '' } = useParams();
  const loadProduct = useCallback((signal: AbortSignal) => api.getProduct(productId, signal), [productId]);
  const product = useAsync(loadProduct);
  useDocumentTitle(product.data?.name);
  useProductVersionUpdates(product.data?.id, product.data?.schema_version, product.reload);
  return { productId, product };
}
