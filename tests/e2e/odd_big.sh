#!/bin/sh
# odd_big.sh DATA - the ChestX-ray14 shape of problem on the MNIST digits,
# for tests/e2e/multilabel.sh and tests/mpi/auc.sh: writes labels.csv in
# the current folder (digit d: "odd" when d is odd, "big" when d >= 5,
# both joined by '|', "No Finding" for 0, 2, 4; 500 patients) from
# DATA/labels.csv, and prints the .net text of its data section `digits`
# (multi-label, split by patient) and the import of lenet.
data=$1
awk -F, 'NR == 1 { print "Image Index,Finding Labels,Patient ID"; next }
	{ d = $2 + 0; l = "";
	  if (d % 2) l = "odd";
	  if (d >= 5) l = (l == "" ? "big" : l "|big");
	  if (l == "") l = "No Finding";
	  printf "%s,\"%s\",p%d\n", $1, l, NR % 500 }' "$data/labels.csv" >labels.csv || exit 1
cat <<NET
import "lenet"

data digits {
    source  = csv("labels.csv", image = "Image Index", labels = "Finding Labels",
                  sep = "|", root = "$data/images/", patient = "Patient ID")
    classes = [odd, big]
    multi_label = true
    split   = by_patient("Patient ID", train = 0.8, val = 0.2, test = 0, seed = 3)
    decode  = gray(28, 28)
    augment = normalize(mean = 0.1307, std = 0.3081)
}
NET
