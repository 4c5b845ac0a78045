from .mmi1x2 import *
