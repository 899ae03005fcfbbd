"Everything the course exports: `from nnscratch.all import *`"
from .show import *
from .fitting import *
from .engine import *
from .nn import *
