"""dagrad's nn: models, losses, optimizers and training on top of `autograd`'s public API.

>>> import nn
>>> model = nn.MLP(2, [8, 1], activation="tanh", seed=0)
>>> X, y = nn.datasets.xor()
>>> history = nn.fit(model, X, nn.datasets.to_signed(y), loss="hinge", epochs=300,
...                  optimizer=nn.Adam(model.parameters(), lr=0.05), stop_when_all_correct=True)
>>> history.stopped_by, nn.accuracy(model, X, nn.datasets.to_signed(y))
('all_correct', 1.0)
"""

from nn import datasets
from nn.layers import ACTIVATIONS, INITS, MLP, Layer, Neuron
from nn.losses import (
    LOSSES,
    bce_loss,
    bce_with_logits_loss,
    cross_entropy_loss,
    hinge_loss,
    l2_regularization,
    mse_loss,
)
from nn.module import ModelFileError, Module, load
from nn.optim import SGD, Adam, LambdaLR, LinearDecay, Optimizer
from nn.train import History, accuracy, fit, loss_and_gradients, outputs, predict

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "ACTIVATIONS",
    "INITS",
    "load",
    "ModelFileError",
    "mse_loss",
    "bce_loss",
    "bce_with_logits_loss",
    "hinge_loss",
    "cross_entropy_loss",
    "l2_regularization",
    "LOSSES",
    "Optimizer",
    "SGD",
    "Adam",
    "LambdaLR",
    "LinearDecay",
    "fit",
    "History",
    "predict",
    "outputs",
    "accuracy",
    "loss_and_gradients",
    "datasets",
]
