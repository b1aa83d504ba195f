"""Training loops: batched 1-D MLPs (batched.py) and classifiers (classifier.py)."""
