"""Renders a module's README as Odoo renders the module description in Apps, and prints the docutils
messages it gives as JSON (an empty list when it renders cleanly).

Odoo 17.0, 18.0 and 19.0 read README.rst, README.md or README.txt (19.0: or README), in that order, into
the manifest's description when the manifest has none (odoo/modules/module.py, README), and
ir.module.module._get_desc renders it with docutils publish_string and these settings, the same in the
three series (odoo/addons/base/models/ir_module.py), dropping the messages from the page and logging them
as warnings. Here they are collected instead."""
import json
import sys

from docutils import nodes
from docutils.core import publish_doctree, publish_string

ODOO_OVERRIDES = {
    'embed_stylesheet': False,
    'doctitle_xform': False,
    'output_encoding': 'unicode',
    'xml_declaration': False,
    'file_insertion_enabled': False,
}

source = open(sys.argv[1], encoding='utf-8').read()
quiet = dict(ODOO_OVERRIDES, report_level=5, halt_level=5, warning_stream=False)
html = publish_string(source=source, settings_overrides=quiet, writer_name='html4css1')
tree = publish_doctree(source, settings_overrides=dict(ODOO_OVERRIDES, report_level=1, halt_level=5, warning_stream=False))
messages = [message.astext() for message in tree.traverse(nodes.system_message)]
json.dump({'messages': messages, 'htmlChars': len(html)}, sys.stdout)
