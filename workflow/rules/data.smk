# Datasets (src/initgen/data/): download the official archives in local rules (compute nodes often have no
# internet), then prepare each dataset once into data/prepared/<name>/{train,test}.pt (uint8 tensors).
#   snakemake data/prepared/cifar10/train.pt      what an experiment's rule lists as its input
# An archive already in data/raw/ is used as is; without network the download job fails with the URL and the
# exact path to place the file. digits ships with scikit-learn and imagenet is a user folder
# (config data.imagenet.folder): neither is downloaded.
DATA_ROOT = config["data"]["root"]

# Official archive file names; tests/test_data_workflow.py checks they match initgen.data.registry (not imported
# here: that would import torch on every Snakemake start).
DATA_ARCHIVES = {
    "cifar10": "cifar-10-python.tar.gz",
    "cifar100": "cifar-100-python.tar.gz",
    "tinyimagenet": "tiny-imagenet-200.zip",
}
DATA_MODULES = {  # each dataset's parsing modules, besides the registry and archives
    "digits": ["data/digits"],
    "cifar10": ["data/cifar"],
    "cifar100": ["data/cifar"],
    "tinyimagenet": ["data/tinyimagenet", "data/imagenet"],
    "imagenet": ["data/imagenet"],
}
# The prepared splits of each dataset: a rule that trains on a dataset lists DATA_PREPARED[name] as input.
DATA_PREPARED = {
    name: [f"{DATA_ROOT}/prepared/{name}/{split}.pt" for split in ("train", "test")] for name in DATA_MODULES
}
DATA_PREPARE_INPUTS = {
    name: {"code": code("data/registry", "data/archives", *modules)}
    | ({"archive": f"{DATA_ROOT}/raw/{DATA_ARCHIVES[name]}"} if name in DATA_ARCHIVES else {})
    for name, modules in DATA_MODULES.items()
}


for _name, _filename in DATA_ARCHIVES.items():

    rule:
        name:
            f"data_download_{_name}"
        output:
            f"{DATA_ROOT}/raw/{_filename}",
        log:
            f"logs/data/download_{_name}.log",
        localrule: True
        params:
            name=_name,
            # data root = the folder above raw/ (derived from the output, so no path is hardcoded twice)
            root=lambda w, output: str(Path(output[0]).parent.parent),
        conda:
            ENV
        shell:
            # On failure, show the log (URL + where to place the file) on the console, not only in the log.
            "initgen data-download {params.name} --data-root {params.root:q} > {log} 2>&1 || (cat {log} >&2; exit 1)"


rule data_prepare:
    input:
        unpack(lambda w: DATA_PREPARE_INPUTS[w.name]),
    output:
        train=f"{DATA_ROOT}/prepared/{{name}}/train.pt",
        test=f"{DATA_ROOT}/prepared/{{name}}/test.pt",
    log:
        "logs/data/prepare_{name}.log",
    benchmark:
        "logs/benchmark/data/prepare_{name}.tsv"
    wildcard_constraints:
        name="|".join(DATA_MODULES),
    params:
        # The dataset's config block data.<name> (empty when it has none): changing it reruns the preparation.
        options=lambda w: as_arg(config["data"].get(w.name, {})),
        root=lambda w, output: str(Path(output.train).parent.parent.parent),
    conda:
        ENV
    shell:
        "initgen data-prepare {wildcards.name} --data-root {params.root:q} --options {params.options} > {log} 2>&1"
        " || (cat {log} >&2; exit 1)"
