from .taper import *
from .taper_from_csv import *
