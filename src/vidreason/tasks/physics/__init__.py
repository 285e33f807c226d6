"""Physics families: projectiles, bounces, collisions."""
