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
# Every dataset a rule can prepare (digits ships with scikit-learn, imagenet is a user folder: not downloaded).
DATASETS = ("digits", "cifar10", "cifar100", "tinyimagenet", "imagenet")
# Rehearsal (config/rehearsal.yaml): stand-in archives in the official formats, written by rule rehearsal_data
# into this folder, from which the download rules fetch them (as from a mirror); None: the official sources.
REHEARSAL_DATA = config["data"].get("rehearsal")

if REHEARSAL_DATA:

    rule rehearsal_data:
        output:
            archives=[f"{REHEARSAL_DATA}/{_f}" for _f in DATA_ARCHIVES.values()],
            imagenet=directory(f"{REHEARSAL_DATA}/imagenet"),
        input:
            code=code("rehearsal-data"),
        log:
            "logs/data/rehearsal_data.log",
        benchmark:
            "logs/benchmark/data/rehearsal_data.tsv"
        localrule: True
        params:
            out=REHEARSAL_DATA,
        conda:
            ENV
        shell:
            "initgen rehearsal-data --out {params.out:q} > {log} 2>&1 || (cat {log} >&2; exit 1)"


for _name, _filename in DATA_ARCHIVES.items():

    rule:
        name:
            f"data_download_{_name}"
        input:
            # rehearsal: the generated archive this download copies (none: the official URL)
            [f"{REHEARSAL_DATA}/{_filename}"] if REHEARSAL_DATA else [],
        output:
            f"{DATA_ROOT}/raw/{_filename}",
        log:
            f"logs/data/download_{_name}.log",
        benchmark:
            f"logs/benchmark/data/download_{_name}.tsv"
        localrule: True
        params:
            name=_name,
            # data root = the folder above raw/ (derived from the output, so no path is hardcoded twice)
            root=lambda w, output: str(Path(output[0]).parent.parent),
            source=get_download_source_args(_name),
        conda:
            ENV
        shell:
            # On failure, show the log (URL + where to place the file) on the console, not only in the log.
            "initgen data-download {params.name} --data-root {params.root:q} {params.source} > {log} 2>&1"
            " || (cat {log} >&2; exit 1)"


rule data_prepare:
    input:
        # no archive for digits and imagenet (see above); the code: initgen.data.registry imports every parser
        archive=lambda w: ([f"{DATA_ROOT}/raw/{DATA_ARCHIVES[w.name]}"] if w.name in DATA_ARCHIVES else []),
        # rehearsal: the generated ImageNet-style folder (otherwise the user's folder, not a rule's output)
        folder=lambda w: ([f"{REHEARSAL_DATA}/imagenet"] if REHEARSAL_DATA and w.name == "imagenet" else []),
        code=code("data-prepare"),
    output:
        train=f"{DATA_ROOT}/prepared/{{name}}/train.pt",
        test=f"{DATA_ROOT}/prepared/{{name}}/test.pt",
    log:
        "logs/data/prepare_{name}.log",
    benchmark:
        "logs/benchmark/data/prepare_{name}.tsv"
    wildcard_constraints:
        name="|".join(DATASETS),
    params:
        # The dataset's config block data.<name> (empty when it has none): changing it reruns the preparation.
        options=get_data_options,
        root=lambda w, output: str(Path(output.train).parent.parent.parent),
        checksum=get_checksum_arg,
    conda:
        ENV
    shell:
        "initgen data-prepare {wildcards.name} --data-root {params.root:q} --options {params.options}"
        " {params.checksum} > {log} 2>&1"
        " || (cat {log} >&2; exit 1)"


# Datasets of yours (config extensions.datasets.<name>: path/to/file.py:function; README "Your own study"): no
# download; the same preparation step calls your function with data.<name> and writes the same files.
USER_DATASETS = (config.get("extensions") or {}).get("datasets") or {}

if USER_DATASETS:

    rule data_prepare_user:
        input:
            user_code=get_user_dataset_code,  # editing your file reruns this preparation only
            code=code("data-prepare"),
        output:
            train=f"{DATA_ROOT}/prepared/{{name}}/train.pt",
            test=f"{DATA_ROOT}/prepared/{{name}}/test.pt",
        log:
            "logs/data/prepare_{name}.log",
        benchmark:
            "logs/benchmark/data/prepare_{name}.tsv"
        wildcard_constraints:
            name="|".join(USER_DATASETS),
        params:
            options=get_data_options,
            root=lambda w, output: str(Path(output.train).parent.parent.parent),
            reference=lambda w: USER_DATASETS[w.name],
        conda:
            ENV
        shell:
            "initgen data-prepare {wildcards.name} --reference {params.reference:q} --data-root {params.root:q}"
            " --options {params.options} > {log} 2>&1 || (cat {log} >&2; exit 1)"
