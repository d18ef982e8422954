"""The faust agents and timers of the stream worker: each a few lines around the pure core."""
