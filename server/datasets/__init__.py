"""Datasets and DatasetIO: register datasets (rows or a URI snapshot) and page through their rows."""
from server.datasets.service import DatasetService

__all__ = ["DatasetService"]
