"""The adapters: the database, the mail sources and MIME, and the outbox. They translate the outside
world's errors into the pipeline's own."""
