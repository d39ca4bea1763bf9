"""Describes an Odoo module without importing it (no Odoo here): its manifest; per model class, the
fields it declares with their literal arguments, its methods and the strings each uses, the methods it
calls on self or super() and its @api.depends paths; and the XML ids it looks up. Prints JSON for
addon.test.ts."""
import ast
import json
import pathlib
import sys


def literal(node):
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def class_model(body):
    names = {'_name': None, '_inherit': None}
    for stmt in body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            if stmt.targets[0].id in names:
                names[stmt.targets[0].id] = literal(stmt.value)
    inherit = names['_inherit']
    if isinstance(inherit, str):
        inherit = [inherit]
    return names['_name'], inherit or []


def declared_fields(body):
    found = {}
    for stmt in body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            continue
        call = stmt.value
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name) and call.func.value.id == 'fields'):
            continue
        found[stmt.targets[0].id] = {
            'type': call.func.attr,
            'args': [literal(arg) for arg in call.args],
            'kwargs': {kw.arg: literal(kw.value) for kw in call.keywords if kw.arg},
        }
    return found


def self_calls(node):
    """Methods called on self or super(): they must exist on the class or on the model it extends."""
    called = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
            target = sub.func.value
            if isinstance(target, ast.Name) and target.id == 'self':
                called.add(sub.func.attr)
            elif isinstance(target, ast.Call) and isinstance(target.func, ast.Name) and target.func.id == 'super':
                called.add(sub.func.attr)
    return sorted(called)


def method_strings(body):
    """Per method, the string constants it uses (e.g. the field names a list-returning override adds)."""
    found = {}
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef):
            found[stmt.name] = sorted({
                sub.value for sub in ast.walk(stmt)
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str)
            })
    return found


def depends(body):
    paths = []
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef):
            for deco in stmt.decorator_list:
                if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)
                        and deco.func.attr == 'depends'):
                    paths.extend(literal(arg) for arg in deco.args)
    return paths


def xml_ids(tree):
    """XML ids the code looks up with env.ref(), literally or through a module-level constant."""
    constants = {
        stmt.targets[0].id: stmt.value.value for stmt in tree.body
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
        and isinstance(stmt.value, ast.Constant)
    }
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == 'ref' and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant):
                found.add(arg.value)
            elif isinstance(arg, ast.Name) and arg.id in constants:
                found.add(constants[arg.id])
    return found


def describe(module_dir):
    root = pathlib.Path(module_dir)
    classes = []
    refs = set()
    for path in sorted(root.rglob('*.py')):
        if path.name == '__manifest__.py':
            continue
        tree = ast.parse(path.read_text(encoding='utf-8'), filename=str(path))
        refs.update(xml_ids(tree))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                name, inherit = class_model(node.body)
                classes.append({
                    'file': str(path.relative_to(root)),
                    'class': node.name,
                    'name': name,
                    'inherit': inherit,
                    'fields': declared_fields(node.body),
                    'methods': [stmt.name for stmt in node.body if isinstance(stmt, ast.FunctionDef)],
                    'calls': self_calls(node),
                    'strings': method_strings(node.body),
                    'depends': depends(node.body),
                })
    manifest = ast.literal_eval((root / '__manifest__.py').read_text(encoding='utf-8'))
    return {'manifest': manifest, 'classes': classes, 'xmlIds': sorted(refs)}


if __name__ == '__main__':
    json.dump(describe(sys.argv[1]), sys.stdout)
