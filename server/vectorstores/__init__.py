"""Vector stores (the 2024 draft's RAG APIs): stores, insert and delete jobs on the durable
job framework, semantic search with metadata filters and rerank. service.py is the facade
and names the module of each concern; keys.py holds the storage layout."""
