/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Origin of the API, e.g. https://api.example.com; empty: the app's own origin. */
  readonly VITE_API_URL?: string;
  /** Development only: the storefront (publishable) key the server's page would carry. */
  readonly VITE_STOREFRONT_KEY?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
