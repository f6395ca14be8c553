# Schema conformance: Skiff's built-in kind schemas (src/api/builtin/*.yaml) against the upstream
# CRDs kept as test data in ../shared/crds, plus strict validation of the seed manifests.
# Run: /usr/bin/python3 tests/conformance/test_schema_conformance.py   (stdlib + PyYAML only)
import copy
import glob
import os
import sys
import unittest
from collections import Counter, defaultdict

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get('SKIFF_SHARED') or os.path.join(os.path.dirname(REPO), 'shared')
BUILTIN = os.path.join(REPO, 'src', 'api', 'builtin')
Loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)

# Kinds whose upstream CRD sits in shared/crds but which Skiff does not serve (on purpose).
NOT_SERVED = {('kueue.x-k8s.io', 'AdmissionCheck'), ('keda.sh', 'TriggerAuthentication'),
              ('serving.kserve.io', 'InferenceGraph'), ('serving.kserve.io', 'TrainedModel')}

# Built-in kinds with no upstream CRD: (group, version, kind, plural, shortNames, scope, categories,
# status subresource, scale subresource).
CORE_KINDS = [
    ('', 'v1', 'Namespace', 'namespaces', ['ns'], 'Cluster', [], True, False),
    ('', 'v1', 'Pod', 'pods', ['po'], 'Namespaced', ['all'], True, False),
    ('', 'v1', 'Service', 'services', ['svc'], 'Namespaced', ['all'], True, False),
    ('', 'v1', 'Endpoints', 'endpoints', ['ep'], 'Namespaced', [], False, False),
    ('', 'v1', 'ConfigMap', 'configmaps', ['cm'], 'Namespaced', [], False, False),
    ('', 'v1', 'Secret', 'secrets', [], 'Namespaced', [], False, False),
    ('', 'v1', 'Event', 'events', ['ev'], 'Namespaced', [], False, False),
    ('', 'v1', 'Node', 'nodes', ['no'], 'Cluster', [], True, False),
    ('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', ['pvc'], 'Namespaced', [], True,
     False),
    ('apps', 'v1', 'Deployment', 'deployments', ['deploy'], 'Namespaced', ['all'], True, True),
    ('apps', 'v1', 'ReplicaSet', 'replicasets', ['rs'], 'Namespaced', ['all'], True, True),
    ('batch', 'v1', 'Job', 'jobs', [], 'Namespaced', ['all'], True, False),
    ('coordination.k8s.io', 'v1', 'Lease', 'leases', [], 'Namespaced', [], False, False),
    ('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions',
     ['crd', 'crds'], 'Cluster', [], True, False),
]
GO_PRINTED_GROUPS = {'', 'apps', 'batch', 'coordination.k8s.io'}

SEEDS = os.path.join(SHARED, 'examples', 'seed', '*.yaml')

CORE_MANIFESTS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}}
  template:
    metadata: {creationTimestamp: null, labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{containerPort: 80, name: http}]
          env:
            - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
            - {name: KEY, valueFrom: {secretKeyRef: {name: s, key: k, optional: true}}}
          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {nvidia.com/gpu: 1}}
          readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 5}
          livenessProbe: {tcpSocket: {port: 80}}
          volumeMounts: [{name: data, mountPath: /data}]
          securityContext: {runAsNonRoot: true, capabilities: {drop: [ALL]}}
      volumes:
        - {name: data, emptyDir: {sizeLimit: 1Gi}}
        - {name: cfg, configMap: {name: c, items: [{key: a, path: a.txt}]}}
      tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a]}]}]
status: {}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http, protocol: TCP}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: [sh, -c, 'echo hi']}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {a: b}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: leader}
spec: {holderIdentity: me, leaseDurationSeconds: 15, renewTime: '2026-01-01T00:00:00.000000Z'}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList, shortNames: [wd]}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties: {spec: {type: object, properties: {size: {type: integer, default: 1}}}}
      subresources:
        status: {}
        scale: {specReplicasPath: .spec.size, statusReplicasPath: .status.n}
      additionalPrinterColumns: [{name: Size, type: integer, jsonPath: .spec.size}]
"""
RUNTIMES = os.path.join(SHARED, 'crds', 'trainer', 'runtimes', '**', '*.yaml')


# ------------------------------------------------------------------------------------- loading
def load_definitions():
    with open(os.path.join(BUILTIN, '_definitions.yaml')) as f:
        defs = yaml.load(f, Loader=Loader)
    assert isinstance(defs, dict), '_definitions.yaml must be one mapping'
    return defs


def resolve(node, defs, stack=()):
    """Expands x-skiff-ref: the definition, with the node's `properties` merged over it by name
    and every other sibling key replacing the definition's key."""
    if isinstance(node, list):
        return [resolve(x, defs, stack) for x in node]
    if not isinstance(node, dict):
        return node
    if 'x-skiff-ref' in node:
        name = node['x-skiff-ref']
        if name not in defs:
            raise KeyError(f'x-skiff-ref to unknown definition {name!r}')
        if name in stack:
            raise ValueError(f'x-skiff-ref cycle: {" -> ".join(stack + (name,))}')
        out = copy.deepcopy(resolve(defs[name], defs, stack + (name,)))
        for k, v in node.items():
            if k == 'x-skiff-ref':
                continue
            if k == 'properties':
                out.setdefault('properties', {})
                for pk, pv in v.items():
                    out['properties'][pk] = resolve(pv, defs, stack)
            else:
                out[k] = resolve(v, defs, stack)
        return out
    out = {}
    for k, v in node.items():
        if k == 'properties':
            out[k] = {pk: resolve(pv, defs, stack) for pk, pv in v.items()}
        elif k in ('items', 'additionalProperties') and isinstance(v, dict):
            out[k] = resolve(v, defs, stack)
        else:
            out[k] = v
    return out


def load_ours():
    """Returns ({(group, kind): crd with resolved schemas}, definitions, {file: [crd names]})."""
    defs = load_definitions()
    crds, files = {}, {}
    for path in sorted(glob.glob(os.path.join(BUILTIN, '*.yaml'))):
        if os.path.basename(path) == '_definitions.yaml':
            continue
        with open(path) as f:
            docs = [d for d in yaml.load_all(f, Loader=Loader) if d]
        files[os.path.basename(path)] = [d['metadata']['name'] for d in docs]
        for d in docs:
            d = copy.deepcopy(d)
            for v in d['spec']['versions']:
                v['schema']['openAPIV3Schema'] = resolve(v['schema']['openAPIV3Schema'], defs)
            key = (d['spec']['group'], d['spec']['names']['kind'])
            assert key not in crds, f'{key} defined twice'
            crds[key] = d
    return crds, defs, files


def load_upstream():
    out = {}
    for path in sorted(glob.glob(os.path.join(SHARED, 'crds', '**', '*.yaml'), recursive=True)):
        if os.sep + os.path.join('trainer', 'runtimes') + os.sep in path:
            continue
        with open(path) as f:
            for d in yaml.load_all(f, Loader=Loader):
                if d and d.get('kind') == 'CustomResourceDefinition':
                    out[(d['spec']['group'], d['spec']['names']['kind'])] = d
    return out


def version_of(crd, name):
    for v in crd['spec']['versions']:
        if v['name'] == name:
            return v
    return None


# ------------------------------------------------------------------------------ schema compare
def stype(s):
    if s.get('x-kubernetes-int-or-string'):
        return 'int-or-string'
    return s.get('type')


def preserves(s):
    return bool(s.get('x-kubernetes-preserve-unknown-fields'))


class Comparison:
    """Walks every field path of one upstream schema against ours."""

    def __init__(self):
        self.checked = 0
        self.covered = 0          # upstream paths under a preserve-unknown node of ours
        self.mismatches = []

    def bad(self, path, msg):
        self.mismatches.append(f'{path or "<root>"}: {msg}')

    def count_under(self, up):
        n = 0
        for v in (up.get('properties') or {}).values():
            n += 1 + self.count_under(v)
        if isinstance(up.get('items'), dict):
            n += 1 + self.count_under(up['items'])
        if isinstance(up.get('additionalProperties'), dict):
            n += 1 + self.count_under(up['additionalProperties'])
        return n

    def walk(self, up, ours, path):
        self.checked += 1
        if ours is None:
            self.bad(path, 'not declared')
            self.checked += self.count_under(up)
            return
        ut, ot = stype(up), stype(ours)
        if ut != ot and not (ut is None and preserves(up) and preserves(ours)):
            self.bad(path, f'type {ot!r}, upstream {ut!r}')
        if preserves(up) and not preserves(ours):
            self.bad(path, 'upstream preserves unknown fields, ours prunes them')
        same_enum = sorted(map(repr, up.get('enum', []))) == sorted(map(repr, ours.get('enum', [])))
        if 'enum' in up and not same_enum:
            self.bad(path, f'enum {ours.get("enum")}, upstream {up["enum"]}')
        if 'enum' in ours and 'enum' not in up:
            self.bad(path, f'enum {ours["enum"]} where upstream has none')
        if 'default' in up and ours.get('default', KeyError) != up['default']:
            self.bad(path, f'default {ours.get("default", "<none>")!r}, upstream {up["default"]!r}')
        extra = set(ours.get('required', [])) - set(up.get('required', []))
        if extra:
            self.bad(path, f'requires {sorted(extra)} which upstream does not')
        oprops = ours.get('properties') or {}
        open_ = preserves(ours)
        for k, v in (up.get('properties') or {}).items():
            sub = f'{path}.{k}'
            if k in oprops:
                self.walk(v, oprops[k], sub)
            elif open_:
                n = 1 + self.count_under(v)
                self.checked += n
                self.covered += n
            else:
                self.walk(v, None, sub)
        if isinstance(up.get('items'), dict):
            if isinstance(ours.get('items'), dict):
                self.walk(up['items'], ours['items'], path + '[]')
            elif open_:
                n = 1 + self.count_under(up['items'])
                self.checked += n
                self.covered += n
            else:
                self.walk(up['items'], None, path + '[]')
        ua = up.get('additionalProperties')
        if isinstance(ua, dict):
            oa = ours.get('additionalProperties')
            if isinstance(oa, dict):
                self.walk(ua, oa, path + '{}')
            elif open_ or oa is True:
                n = 1 + self.count_under(ua)
                self.checked += n
                self.covered += n
            else:
                self.walk(ua, None, path + '{}')


# ---------------------------------------------------------------------------------- validator
def validate(obj, schema, path, errors, root=False):
    """Strict-mode check: unknown fields (honoring preserve-unknown and additionalProperties),
    types, enums and required fields."""
    if obj is None:
        return
    t = stype(schema)
    if t == 'int-or-string':
        if not isinstance(obj, (int, str)) or isinstance(obj, bool):
            errors.append(f'{path}: expected int-or-string, got {type(obj).__name__}')
        return
    checks = {'string': lambda o: isinstance(o, str),
              'integer': lambda o: isinstance(o, int) and not isinstance(o, bool),
              'number': lambda o: isinstance(o, (int, float)) and not isinstance(o, bool),
              'boolean': lambda o: isinstance(o, bool),
              'object': lambda o: isinstance(o, dict),
              'array': lambda o: isinstance(o, list)}
    if t in checks and not checks[t](obj):
        errors.append(f'{path}: expected {t}, got {type(obj).__name__}')
        return
    if 'enum' in schema and obj not in schema['enum']:
        errors.append(f'{path}: {obj!r} not in {schema["enum"]}')
    if isinstance(obj, dict):
        props = schema.get('properties') or {}
        for r in schema.get('required', []):
            if r not in obj:
                errors.append(f'{path}: missing required field {r!r}')
        for k, v in obj.items():
            sub = f'{path}.{k}' if path else k
            if root and k in ('apiVersion', 'kind', 'metadata'):
                continue          # the server owns ObjectMeta and type fields
            if k in props:
                validate(v, props[k], sub, errors)
            elif isinstance(schema.get('additionalProperties'), dict):
                validate(v, schema['additionalProperties'], sub, errors)
            elif schema.get('additionalProperties') is True or preserves(schema):
                continue
            elif schema.get('x-kubernetes-embedded-resource') and k in ('apiVersion', 'kind',
                                                                       'metadata'):
                continue
            else:
                errors.append(f'{sub}: unknown field')
    elif isinstance(obj, list) and isinstance(schema.get('items'), dict):
        for i, v in enumerate(obj):
            validate(v, schema['items'], f'{path}[{i}]', errors)


def structural_problems(s, path, out):
    if not isinstance(s, dict):
        out.append(f'{path}: schema node is not a mapping')
        return
    if 'type' not in s and not s.get('x-kubernetes-int-or-string') and not preserves(s):
        out.append(f'{path}: no type')
    if 'properties' in s and 'additionalProperties' in s:
        out.append(f'{path}: both properties and additionalProperties')
    if s.get('type') == 'array' and 'items' not in s:
        out.append(f'{path}: array without items')
    if s.get('x-kubernetes-list-type') == 'map' and not s.get('x-kubernetes-list-map-keys'):
        out.append(f'{path}: list-type map without map keys')
    for k, v in (s.get('properties') or {}).items():
        structural_problems(v, f'{path}.{k}', out)
    if isinstance(s.get('items'), dict):
        structural_problems(s['items'], path + '[]', out)
    if isinstance(s.get('additionalProperties'), dict):
        structural_problems(s['additionalProperties'], path + '{}', out)


# --------------------------------------------------------------------------------------- tests
class SchemaConformanceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ours, cls.defs, cls.files = load_ours()
        cls.upstream = load_upstream()

    def test_definitions_resolve_without_cycles(self):
        for name in self.defs:
            resolve({'x-skiff-ref': name}, self.defs)

    def test_crd_shape(self):
        problems = []
        for (group, kind), crd in sorted(self.ours.items()):
            sp = crd['spec']
            want = f"{sp['names']['plural']}.{group}" if group else sp['names']['plural']
            if crd['metadata']['name'] != want:
                problems.append(f'{kind}: metadata.name {crd["metadata"]["name"]!r}, want {want!r}')
            if (crd.get('apiVersion'), crd.get('kind')) != ('apiextensions.k8s.io/v1',
                                                            'CustomResourceDefinition'):
                problems.append(f'{kind}: not an apiextensions.k8s.io/v1 CustomResourceDefinition')
            if sum(1 for v in sp['versions'] if v.get('storage')) != 1:
                problems.append(f'{kind}: needs exactly one storage version')
            if sp['names'].get('listKind', kind + 'List') != kind + 'List':
                problems.append(f'{kind}: listKind {sp["names"]["listKind"]}')
            for v in sp['versions']:
                structural_problems(v['schema']['openAPIV3Schema'], f'{kind}/{v["name"]}', problems)
                if group in GO_PRINTED_GROUPS and v.get('additionalPrinterColumns'):
                    problems.append(f'{kind}: printer columns belong to the Go-coded printers')
        self.assertEqual(problems, [], '\n'.join(problems))

    def test_core_kinds_served(self):
        problems = []
        for group, ver, kind, plural, short, scope, cats, status, scale in CORE_KINDS:
            crd = self.ours.get((group, kind))
            if crd is None:
                problems.append(f'{group}/{kind}: missing')
                continue
            names = crd['spec']['names']
            got = (names['plural'], sorted(names.get('shortNames', [])), crd['spec']['scope'],
                   sorted(names.get('categories', [])))
            if got != (plural, sorted(short), scope, sorted(cats)):
                problems.append(f'{kind}: names/scope {got}')
            v = version_of(crd, ver)
            if v is None:
                problems.append(f'{kind}: version {ver} missing')
                continue
            sub = v.get('subresources') or {}
            if ('status' in sub) != status or ('scale' in sub) != scale:
                problems.append(f'{kind}: subresources {sorted(sub)}')
        self.assertEqual(problems, [], '\n'.join(problems))

    def test_upstream_names_and_columns(self):
        problems = []
        for key, up in sorted(self.upstream.items()):
            if key in NOT_SERVED:
                continue
            ours = self.ours.get(key)
            if ours is None:
                problems.append(f'{key}: not served')
                continue
            un, on = up['spec']['names'], ours['spec']['names']
            for field in ('plural', 'singular', 'kind', 'listKind', 'shortNames', 'categories'):
                if un.get(field) != on.get(field):
                    problems.append(f'{key}: names.{field} {on.get(field)!r}, '
                                    f'upstream {un.get(field)!r}')
            if up['spec']['scope'] != ours['spec']['scope']:
                problems.append(f'{key}: scope {ours["spec"]["scope"]}')
            if up['metadata']['name'] != ours['metadata']['name']:
                problems.append(f'{key}: metadata.name {ours["metadata"]["name"]}')
            uv = [(v['name'], v['served'], v['storage']) for v in up['spec']['versions']]
            ov = [(v['name'], v['served'], v['storage']) for v in ours['spec']['versions']]
            if sorted(uv) != sorted(ov):
                problems.append(f'{key}: versions {ov}, upstream {uv}')
            for v in up['spec']['versions']:
                o = version_of(ours, v['name'])
                if o is None:
                    continue
                usub, osub = v.get('subresources') or {}, o.get('subresources') or {}
                if usub != osub:
                    problems.append(f'{key}/{v["name"]}: subresources {osub}, upstream {usub}')
                ucols = [(c['name'], c['type'], c['jsonPath'], c.get('priority', 0))
                         for c in v.get('additionalPrinterColumns', [])]
                ocols = [(c['name'], c['type'], c['jsonPath'], c.get('priority', 0))
                         for c in o.get('additionalPrinterColumns', [])]
                if ucols != ocols:
                    problems.append(f'{key}/{v["name"]}: printer columns {ocols}, upstream {ucols}')
        self.assertEqual(problems, [], '\n'.join(problems))

    def test_every_upstream_field_path(self):
        total, covered = 0, 0
        report, failures = [], []
        for key, up in sorted(self.upstream.items()):
            if key in NOT_SERVED or key not in self.ours:
                continue
            for v in up['spec']['versions']:
                o = version_of(self.ours[key], v['name'])
                label = f'{key[1]}/{v["name"]}'
                if o is None:
                    failures.append(f'{label}: version not served')
                    continue
                cmp = Comparison()
                cmp.walk(v['schema']['openAPIV3Schema'], o['schema']['openAPIV3Schema'], '')
                total += cmp.checked
                covered += cmp.covered
                report.append(f'  {label:34s} paths {cmp.checked:6d}  preserve-unknown '
                              f'{cmp.covered:5d}  mismatches {len(cmp.mismatches)}')
                failures += [f'{label} {m}' for m in cmp.mismatches]
        print('\nUpstream field paths checked per kind:', file=sys.stderr)
        print('\n'.join(report), file=sys.stderr)
        print(f'  total paths {total}, covered by preserve-unknown {covered}, '
              f'mismatches {len(failures)}', file=sys.stderr)
        by_kind = Counter(f.split(' ')[0] for f in failures)
        for k, n in sorted(by_kind.items()):
            print(f'  mismatches {k}: {n}', file=sys.stderr)
        self.assertEqual(failures, [], '\n'.join(failures[:200]))

    def test_seed_manifests_validate_strictly(self):
        errors, count = [], 0
        paths = sorted(glob.glob(SEEDS)) + sorted(glob.glob(RUNTIMES, recursive=True))
        self.assertTrue(paths, f'no seed manifests under {SHARED}')
        for path in paths:
            with open(path) as f:
                docs = [d for d in yaml.load_all(f, Loader=Loader) if d]
            for d in docs:
                group, _, ver = d['apiVersion'].rpartition('/')
                crd = self.ours.get((group, d['kind']))
                where = f'{os.path.relpath(path, SHARED)} {d["kind"]}/{d["metadata"].get("name")}'
                if crd is None:
                    errors.append(f'{where}: kind not served')
                    continue
                v = version_of(crd, ver)
                if v is None or not v.get('served'):
                    errors.append(f'{where}: version {ver} not served')
                    continue
                count += 1
                errs = []
                validate(d, v['schema']['openAPIV3Schema'], '', errs, root=True)
                errors += [f'{where}: {e}' for e in errs]
        print(f'\nValidated {count} manifests strictly, {len(errors)} errors', file=sys.stderr)
        self.assertEqual(errors, [], '\n'.join(errors))

    def test_core_manifests_validate_strictly(self):
        # Shapes kubectl and the Python client send for core kinds (no upstream CRD covers them).
        docs = yaml.safe_load_all(CORE_MANIFESTS)
        errors = []
        for d in docs:
            group, _, ver = d['apiVersion'].rpartition('/')
            v = version_of(self.ours[(group, d['kind'])], ver)
            validate(d, v['schema']['openAPIV3Schema'], d['kind'], errors, root=True)
        self.assertEqual(errors, [], '\n'.join(errors))

    def test_validator_rejects_unknown_and_mistyped_fields(self):
        # Guards the validator itself: a typo at spec level and a wrong type must both be caught.
        crd = self.ours[('trainer.kubeflow.org', 'TrainJob')]
        schema = version_of(crd, 'v1alpha1')['schema']['openAPIV3Schema']
        errs = []
        validate({'apiVersion': 'trainer.kubeflow.org/v1alpha1', 'kind': 'TrainJob', 'metadata': {},
                  'spec': {'runtimeRef': {'name': 'x'}, 'trainr': {},
                           'trainer': {'numNodes': 'two'}}},
                 schema, '', errs, root=True)
        self.assertTrue(any('spec.trainr: unknown field' in e for e in errs), errs)
        self.assertTrue(any('spec.trainer.numNodes: expected integer' in e for e in errs), errs)


if __name__ == '__main__':
    unittest.main(verbosity=2)
