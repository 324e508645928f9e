"""Domain: entities, codes and validation. Standard library only, no I/O."""
