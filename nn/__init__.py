"""dagrad's nn: models, losses, optimizers and training on top of `autograd`."""
