"""Model definitions: coordinate MLPs (mlp.py) and image classifiers (zoo.py)."""
