# Functions of workflow/rules/data.smk and of the rules that read prepared datasets.


def prepared_files(dataset):
    """The prepared splits of a dataset, data/prepared/<name>/{train,test}.pt: what a rule that trains on it reads."""
    return [f"{config['data']['root']}/prepared/{dataset}/{split}.pt" for split in ("train", "test")]


def get_prepared_data(wildcards):
    return prepared_files(wildcards.dataset)


def get_data_options(wildcards):
    """The dataset's config block data.<name> as an argument (empty when it has none)."""
    return as_arg(config["data"].get(wildcards.name, {}))
