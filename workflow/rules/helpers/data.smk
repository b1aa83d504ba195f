# Functions of workflow/rules/data.smk and of the rules that read prepared datasets.


def prepared_files(dataset):
    """The prepared splits of a dataset, data/prepared/<name>/{train,test}.pt: what a rule that trains on it reads."""
    return [f"{config['data']['root']}/prepared/{dataset}/{split}.pt" for split in ("train", "test")]


def get_prepared_data(wildcards):
    return prepared_files(wildcards.dataset)


def get_data_options(wildcards):
    """The dataset's config block data.<name> as an argument (empty when it has none)."""
    return as_arg(config["data"].get(wildcards.name, {}))


def get_checksum_arg(wildcards):
    """--checksum from config data.checksums.<name> (a mirror's or the rehearsal's archives), else nothing."""
    checksum = (config["data"].get("checksums") or {}).get(wildcards.name)
    return f"--checksum {checksum}" if checksum else ""


def get_download_source_args(name):
    """Arguments of data-download beyond the name: the rehearsal folder as a mirror, the checksum override."""
    args = []
    if config["data"].get("rehearsal"):
        args.append(f"--mirror {config['data']['rehearsal']}")
    checksum = (config["data"].get("checksums") or {}).get(name)
    if checksum:
        args.append(f"--checksum {checksum}")
    return " ".join(args)


def get_user_dataset_code(wildcards):
    """Your dataset's file (and the initgen modules it imports): an input of its preparation job only."""
    return reference_files((config.get("extensions") or {}).get("datasets", {}).get(wildcards.name), LIBRARY)
