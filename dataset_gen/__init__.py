"""dataset_gen package."""
