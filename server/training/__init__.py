"""Training: one trainer (engine.py, its subprocess worker.py and trainer.py) behind the
2025 post-training API (posttraining.py) and the draft's fine-tuning API (finetuning.py)."""
