from . import product_product
from . import product_template
from . import res_config_settings
from . import sale_order
