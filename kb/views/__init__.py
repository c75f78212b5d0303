"""HTML views of the knowledge base: the public help centre, authoring and the self-service reports."""
