"""The driver's half of the Spark job: the job identity kept in OUT while a job is unfinished, the
partitions a rerun reuses, and the commit of the chosen attempts into OUT (parts copied, error
tables and PCA statistics merged), for a folder and an S3 prefix alike (imgfeat_spark_store.py).
Driver side only: imgfeat_spark.py imports it from its own folder."""
import hashlib
import io
import json
import re

ERROR_COLUMNS = ("path", "stage", "message")
STATISTICS_NAME = "_pca-statistics.bin"
MARKER = "_imgfeat_spark.json"
ATTEMPT = re.compile(r"task-(\d{5})-attempt-(\d+)")
# What makes two jobs the same: their partitions' outputs and their PCA depend on these only.
IDENTITY_FIELDS = ("input", "listingDigest", "images", "partitions", "weights", "alpha", "size",
                   "precision", "partRows", "draft", "k", "center")


class CommitError(Exception):
    """A reason the job cannot go on in this OUT, one line naming it and the cause."""


def job_identity(args, paths, partitions):
    """The fields that a rerun must share with the unfinished job it continues, and their digest."""
    listing = hashlib.sha256("".join(p + "\n" for p in paths).encode()).hexdigest()
    fields = {"input": args.input, "listingDigest": listing, "images": len(paths), "partitions": partitions,
              "weights": args.weights, "alpha": args.alpha, "size": args.size, "precision": args.precision,
              "partRows": args.part_rows, "draft": bool(args.draft), "k": args.k, "center": bool(args.center)}
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
    return {"digest": digest, "fields": fields}


def _differences(ours, theirs):
    return ", ".join(f"{name} {theirs.get(name)!r} there, {ours.get(name)!r} now"
                     for name in IDENTITY_FIELDS if ours.get(name) != theirs.get(name)) or "unknown settings"


def refuse_foreign(out):
    """Raises for a non-empty OUT that holds neither a finished job nor an unfinished one of ours."""
    if out.exists("_SUCCESS") or out.exists(MARKER) or out.is_empty():
        return
    raise CommitError(f"{out}: output exists, is not empty and was not written by imgfeat_spark.py")


def finished_summary(out, identity):
    """The summary of the same job already finished in OUT; a finished other job is refused."""
    if not out.exists("_SUCCESS"):
        return None
    try:
        summary = json.loads(out.read("summary.json"))
    except Exception:
        raise CommitError(f"{out}: has _SUCCESS but no readable summary.json; remove it or choose another --output") from None
    if summary.get("jobIdentity") != identity["digest"]:
        theirs = summary.get("jobIdentityFields", {})
        raise CommitError(f"{out}: already holds a finished job with other settings ({_differences(identity['fields'], theirs)}); "
                          "choose another --output or remove that one")
    return summary


def attempts_in(staging):
    """{folder: (partition, attempt, has _SUCCESS, committed parts)} of the attempt folders in staging."""
    found = {}
    for name in staging.names():
        top, _, rest = name.partition("/")
        match = ATTEMPT.fullmatch(top)
        if not match:
            continue
        partition, attempt, success, parts = found.get(top, (int(match.group(1)), int(match.group(2)), False, 0))
        found[top] = (partition, attempt, success or rest == "_SUCCESS",
                      parts + (1 if rest.startswith("part-") and rest.endswith(".parquet") else 0))
    return found


def unfinished(out, identity):
    """Whether OUT holds an unfinished run of this job; an unfinished other job is refused."""
    if not out.exists(MARKER):
        return False
    marker = json.loads(out.read(MARKER))
    if marker.get("identity") != identity["digest"]:
        raise CommitError(f"{out}: holds an unfinished job with other settings ({_differences(identity['fields'], marker.get('fields', {}))}); "
                          "rerun that job, choose another --output, or remove it")
    return True


def prepare(out, staging, identity):
    """Marks OUT as holding this job, or continues the same unfinished job: returns {partition:
    folder} of the finished attempts it reuses and the attempts it discarded. The discarded ones
    (partial or duplicate) are deleted so that no later attempt of the same name finds them."""
    discarded, reused = [], {}
    if unfinished(out, identity):
        for folder, (partition, attempt, success, parts) in sorted(attempts_in(staging).items(), key=lambda kv: kv[1][:2]):
            if success and partition < identity["fields"]["partitions"] and partition not in reused:
                reused[partition] = folder
            else:
                discarded.append({"folder": folder, "committed_parts": parts, "succeeded": success, "earlierJob": True})
                staging.delete_tree(folder)
        for name in ("features", "pca"):
            out.delete_tree(name)
    else:
        staging.delete_tree()
        out.write(MARKER, json.dumps({"identity": identity["digest"], "fields": identity["fields"],
                                      "staging": str(staging)}, indent=2, sort_keys=True).encode())
    return reused, discarded


def commit_parts(chosen, staging, out):
    """Copies each chosen attempt's parts into OUT/features as part-00000…, in partition order."""
    number = 0
    for _partition, folder in sorted(chosen.items()):
        for name in staging.names(folder):
            if "/" in name or not (name.startswith("part-") and name.endswith(".parquet")):
                continue
            rest = name.split("-", 2)[2] if name.count("-") >= 2 else name[len("part-"):]
            out.copy(f"{folder}/{name}", f"features/part-{number:05d}-{rest}", source_store=staging)
            number += 1
    return number


def merge_errors(chosen, staging, out):
    """Concatenates the chosen attempts' _errors.parquet tables (partition order) into OUT/errors.parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    tables = [pq.read_table(pa.BufferReader(staging.read(f"{folder}/_errors.parquet"))) for _, folder in sorted(chosen.items())]
    table = pa.concat_tables(tables) if tables else pa.table({c: pa.array([], pa.string()) for c in ERROR_COLUMNS})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    out.write("errors.parquet", sink.getvalue())
    return table.num_rows


def read_statistics(data, name):
    """Header and float64 body of a statistics file (docs/PCA.md)."""
    import numpy as np
    line, _, body = data.partition(b"\n")
    header = json.loads(line)
    values = np.frombuffer(body, dtype="<f8")
    d = header["dimension"]
    if header.get("format") != "imgfeat-pca-statistics" or values.size != d + d * d:
        raise CommitError(f"{name}: not an imgfeat PCA statistics file of dimension {d}")
    return header, values[:d], values[d:].reshape(d, d)


def merge_statistics(chosen, staging, out):
    """Chan et al.'s pairwise merge of (n, mean, co-moment), written to OUT/pca-statistics.bin in
    imgfeat's format. Returns the number of rows."""
    import numpy as np
    header, mean, comoment, count = None, None, None, 0
    for _, folder in sorted(chosen.items()):
        name = f"{folder}/{STATISTICS_NAME}"
        h, m, c = read_statistics(staging.read(name), staging.uri(name))
        if h["count"] == 0:
            continue
        if header is None:
            header, mean, comoment, count = h, m.copy(), c.copy(), h["count"]
            continue
        if h["dimension"] != header["dimension"]:
            raise CommitError(f"{staging.uri(name)}: dimension {h['dimension']}, earlier partitions {header['dimension']}")
        n = count + h["count"]
        delta = m - mean
        comoment = comoment + c + np.outer(delta, delta) * (count * h["count"] / n)
        mean = mean + delta * (h["count"] / n)
        count = n
    if header is None:
        raise CommitError("no partition featurized any image: nothing to fit a PCA on")
    header = dict(header, count=count)
    out.write("pca-statistics.bin", json.dumps(header, sort_keys=True, separators=(",", ":")).encode() + b"\n"
              + np.concatenate([mean, comoment.ravel()]).astype("<f8").tobytes())
    return count


def discarded_attempts(staging, chosen):
    """Attempt folders not chosen (failed, killed or losing speculative attempts) still in staging."""
    used = set(chosen.values())
    return [{"folder": folder, "committed_parts": parts, "succeeded": success}
            for folder, (_p, _a, success, parts) in sorted(attempts_in(staging).items()) if folder not in used]
