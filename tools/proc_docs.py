"""Preprocess the notebooks for the docs into `_proc/`: what `nbdev_proc_nbs` does, minus its Quarto install.

nbdev 2.4's `nbdev_proc_nbs` first makes sure Quarto is installed and downloads it when it is not; where Quarto
cannot be had (no network) that download fails, so this runs the same steps in the same order without it.
"""
import nbdev.doclinks
from nbdev.quarto import refresh_quarto_yml, nbdev_sidebar
from nbdev.serve import proc_nbs

if __name__ == '__main__':
    refresh_quarto_yml()
    nbdev.doclinks._build_modidx()
    nbdev_sidebar.__wrapped__()
    proc_nbs()
