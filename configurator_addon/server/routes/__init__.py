"""Route handlers, one module per resource. Each module's `routes` table is added by the app."""
