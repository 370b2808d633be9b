"""Vector stores (the 2024 draft's RAG APIs): stores, insert and delete jobs on the durable
job framework, semantic search with metadata filters and rerank, and the agents' memory
fetch. See service.py for the storage layout."""
