"Everything the course exports: `from nnscratch.all import *`"
from .show import *
from .fitting import *
from .data import *
from .mlp import *
from .logistic import *
from .norm import *
from .dropout import *
from .optim import *
from .handoff import *
