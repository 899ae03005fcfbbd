"Everything the course exports: `from nnscratch.all import *`"
from .checks import *
from .show import *
from .fitting import *
from .descent import *
from .relu import *
from .engine import *
from .nn import *
from .data import *
from .logistic import *
from .mlp import *
from .norm import *
from .dropout import *
from .optim import *
from .handoff import *
from .fitplot import *
from .lab import *
from .exercises import *
