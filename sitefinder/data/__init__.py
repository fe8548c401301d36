"""What we know, read safely: file reading and writing, layer schemas, datasets, the user's own layers,
climate rasters and the offline elevation map."""
