-- Catalogue thumbnails of each template version, rendered on the server after the upload
-- (services/products.py): a JSON array of {"width", "height", "content_type", "blob_path"},
-- NULL until they are made. On the version, not the product: a render that finishes after
-- the template was replaced again belongs to the version it drew.

ALTER TABLE product_versions ADD COLUMN thumbnails jsonb;
