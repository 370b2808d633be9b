"""Post-training (2025) and fine-tuning (draft) jobs end to end on the tiny model: SFT with
LoRA, full and QAT, DPO, each ending completed with a checkpoint per epoch, its metrics and
its model served at once; the learning test; cancel; the live log tail; and bad input.
Jobs are few and short (two epochs of two steps), over gRPC and REST in turn."""
from __future__ import annotations

import json
import math

import pytest

from _client import ApiError, Client
from _training import (
    FINE_TUNING,
    LORA,
    POST_TRAINING,
    SENTENCES,
    chat,
    data_uri,
    dialog_rows,
    finished,
    preference_rows,
    progress,
    register_dataset,
    sft,
    status,
    training_config,
    training_items,
    wait_step,
)
from conftest import RunningServer, make_config
from llamastack_grpc.jsonmap import JsonMappingError


@pytest.fixture(scope="module")
def training_server(tmp_path_factory, tiny_llm):
    data_dir = tmp_path_factory.mktemp("training")
    (data_dir / "files").mkdir()
    running = RunningServer(make_config(data_dir, models=[{"id": "tiny-llama", "checkpoint": str(tiny_llm)}]))
    client = Client(running, "rest")
    register_dataset(client, "sentences", dialog_rows())
    register_dataset(client, "many-sentences", dialog_rows(copies=200))
    register_dataset(client, "preferences", preference_rows())
    register_dataset(client, "instruct", [{"input_query": p, "expected_answer": a} for p, a in SENTENCES])
    register_dataset(client, "qa", [{"question": "q", "answer": "a"}])
    yield running
    running.stop()


@pytest.fixture(params=["grpc", "rest"])
def api(request, training_server):
    return Client(training_server, request.param)


def _models(client: Client) -> dict[str, dict]:
    return {m["identifier"]: m for m in client.call("llamastack.models.v1.ModelsService/ListModels")["data"]}


def _check_completed(client: Client, job_uuid: str, epochs: int = 2, validation: bool = True) -> dict:
    job = finished(client, job_uuid)
    assert job["status"] == "completed", job
    assert job["scheduled_at"] <= job["started_at"] <= job["completed_at"]
    assert job["resources_allocated"]["device"] == "cpu"
    checkpoints = job["checkpoints"]
    assert [c["epoch"] for c in checkpoints] == list(range(1, epochs + 1)), checkpoints
    models = _models(client)
    for checkpoint in checkpoints:
        assert checkpoint["post_training_job_id"] == job_uuid
        assert checkpoint["identifier"] == f"{job_uuid}-epoch-{checkpoint['epoch']}"
        metrics = checkpoint["training_metrics"]
        assert math.isfinite(metrics["train_loss"]) and metrics["train_loss"] > 0
        if validation:
            assert metrics["perplexity"] == pytest.approx(math.exp(metrics["validation_loss"]))
        assert checkpoint["identifier"] in models  # served at once
        assert models[checkpoint["identifier"]]["metadata"]["training_job"] == job_uuid
    artifacts = client.call(f"{POST_TRAINING}/GetTrainingJobArtifacts", {"job_uuid": job_uuid})
    assert artifacts == {"job_uuid": job_uuid, "checkpoints": checkpoints}
    listed = client.call(f"{POST_TRAINING}/GetTrainingJobs")["data"]
    assert {"job_uuid": job_uuid} in listed
    return job


# ---------------------------------------------------------------- the algorithms


@pytest.mark.parametrize("protocol", ["grpc"])
def test_sft_lora_checkpoints_served_as_base_and_adapter(training_server, protocol):
    client = Client(training_server, protocol)
    sft(client, "sft-lora", "tiny-llama", training_config("sentences", validation="sentences"), LORA)
    job = _check_completed(client, "sft-lora")
    last = job["checkpoints"][-1]
    model = _models(client)[last["identifier"]]
    assert model["metadata"]["adapter"] is True and model["metadata"]["trained_from"] == "tiny-llama"
    assert isinstance(chat(client, last["identifier"], "Hello"), str)  # base + adapter answers


def test_sft_full_on_instruct_rows(training_server):
    client = Client(training_server, "rest")
    sft(client, "sft-full", "tiny-llama", training_config("instruct", validation="instruct",
                                                          data_format="instruct"))
    job = _check_completed(client, "sft-full")
    assert _models(client)[job["checkpoints"][-1]["identifier"]]["metadata"]["adapter"] is False


def test_qat_on_the_cpu(training_server):
    client = Client(training_server, "grpc")
    sft(client, "sft-qat", "tiny-llama", training_config("sentences", epochs=1),
        {"type": "QAT", "quantizer_name": "Int8DynActInt4WeightQATQuantizer", "group_size": 32})
    job = _check_completed(client, "sft-qat", epochs=1, validation=False)
    assert job["resources_allocated"]["algorithm"] == "qat"


def test_dpo_on_preference_rows(training_server):
    client = Client(training_server, "rest")
    client.call(f"{POST_TRAINING}/PreferenceOptimize", {
        "job_uuid": "dpo", "finetuned_model": "tiny-llama",
        "algorithm_config": {"beta": 0.1, "loss_type": "sigmoid"},
        "training_config": training_config("preferences", epochs=1, validation="preferences"),
        "hyperparam_search_config": {}, "logger_config": {}})
    job = _check_completed(client, "dpo", epochs=1)
    assert job["resources_allocated"]["method"] == "dpo"


# ---------------------------------------------------------------- learning


def test_training_on_fixed_sentences_teaches_the_model_to_complete_them(training_server):
    client = Client(training_server, "grpc")
    prompt, answer = SENTENCES[0]
    before = chat(client, "tiny-llama", prompt)
    assert not before.startswith(answer[:12])
    register_dataset(client, "memorize", dialog_rows(copies=16))
    sft(client, "learn", "tiny-llama", training_config("memorize", epochs=3, steps=16, batch_size=3, lr=3e-3))
    job = finished(client, "learn")
    assert job["status"] == "completed", job
    first, last = (c["training_metrics"]["train_loss"] for c in (job["checkpoints"][0], job["checkpoints"][-1]))
    assert last < 0.25 * first, (first, last)
    after = chat(client, job["checkpoints"][-1]["identifier"], prompt, max_tokens=12)
    assert after.startswith(answer[:12]), (before, after)


# ---------------------------------------------------------------- cancel


def test_cancel_mid_training(training_server):
    api = Client(training_server, "grpc")
    job_uuid = "cancel"
    sft(api, job_uuid, "tiny-llama", training_config("many-sentences", epochs=1, steps=400, batch_size=1))
    wait_step(api, job_uuid)
    assert api.call(f"{POST_TRAINING}/CancelTrainingJob", {"job_uuid": job_uuid}) is None
    job = status(api, job_uuid)  # cancel answers once the trainer has stopped
    assert job["status"] == "cancelled" and job["checkpoints"] == []
    assert progress(api, job_uuid)["step"] < 400


# ---------------------------------------------------------------- the draft: submit, status, tail, cancel


def test_draft_submit_and_tail_follows_the_log_until_the_job_ends(api, training_server):
    validation = training_server.config.data_dir / "files" / f"validation-{api.protocol}.jsonl"
    validation.write_text("".join(json.dumps(item) + "\n" for item in training_items()))
    submitted = api.call(f"{FINE_TUNING}/SubmitFineTuningJob", {
        "model": "tiny-llama", "data": data_uri(training_items(copies=2)), "validation_data": validation.as_uri(),
        "fine_tuning_options": {"n_epochs": 2, "batch_size": 2, "lr": 1e-3, "seed": 7,
                                "custom_training_options": {"finetuning_type": "LoraFineTuningOptions",
                                                            "lora_rank": 4, "lora_alpha": 8},
                                "extras": {"max_steps_per_epoch": 2, "dtype": "fp32"}},
        "logger": {"log_type": "DiskLogger", "filename": "train.log"}, "metadata": {"run": "tail"}})
    job_id = submitted["job_id"]
    assert submitted["status"] in ("queued", "running") and submitted["metadata"] == {"run": "tail"}
    lines, live = [], []
    with api.events(f"{FINE_TUNING}/TailFineTuningJobLogs", {"job_id": job_id}, timeout=300) as events:
        for event in events:
            for log in event["logs"]:
                lines.append(log["message"])
                if log["message"].startswith("step ") and not live:
                    live.append(api.call(f"{FINE_TUNING}/GetFineTuningJobStatus", {"job_id": job_id})["status"])
    assert lines[0] == "submitted (training)" and lines[-1] == "completed", lines
    assert live == ["running"], lines  # a step line came while the job was still training
    assert any(line.startswith("checkpoint saved") for line in lines)
    job = api.call(f"{FINE_TUNING}/GetFineTuningJobStatus", {"job_id": job_id})
    assert job["status"] == "success" and len(job["checkpoints"]) == 2
    assert all(uri.startswith("file://") for uri in job["checkpoints"])
    assert job["input_config"]["model"] == "tiny-llama" and job["logs"].endswith(job_id)


def test_draft_cancel_while_tails_follow_and_one_leaves(training_server):
    client, other = Client(training_server, "rest"), Client(training_server, "grpc")
    job_id = client.call(f"{FINE_TUNING}/SubmitFineTuningJob", {
        "model": "tiny-llama", "data": data_uri(training_items(copies=100)),
        "fine_tuning_options": {"n_epochs": 1, "batch_size": 1, "extras": {"dtype": "fp32"}}})["job_id"]
    tail = f"{FINE_TUNING}/TailFineTuningJobLogs"
    with other.events(tail, {"job_id": job_id}) as leaving:  # a client that leaves after one line
        assert next(leaving)["logs"][0]["message"] == "submitted (training)"
    lines, cancelled = [], None
    with client.events(tail, {"job_id": job_id}, timeout=300) as events:
        for event in events:
            lines += [log["message"] for log in event["logs"]]
            if cancelled is None and lines[-1].startswith("step "):
                cancelled = client.call(f"{FINE_TUNING}/CancelFineTuningJob", {"job_id": job_id})
    assert cancelled["status"] == "cancelled" and cancelled["checkpoints"] == []
    assert lines[-1] == "cancelled", lines  # the stream that stayed saw the job to its end


# ---------------------------------------------------------------- bad input


DROP = object()  # a change that removes the key


def _sft_body(**changes) -> dict:
    body = {"job_uuid": "bad", "model": "tiny-llama", "training_config": training_config("sentences"),
            "hyperparam_search_config": {}, "logger_config": {}}
    for path, value in changes.items():
        target = body
        *parents, last = path.split("__")
        for name in parents:
            target = target[name]
        if value is DROP:
            del target[last]
        else:
            target[last] = value
    return body


def _refused(api: Client, method: str, body: dict):
    """The error of a bad request: the server's, or over gRPC the client's for a name no
    message can hold (an unknown enum name or union member: nothing can be sent)."""
    with pytest.raises((ApiError, JsonMappingError)) as error:
        api.call(method, body)
    if isinstance(error.value, JsonMappingError):
        assert api.protocol == "grpc", error.value
        return ApiError("INVALID_ARGUMENT", str(error.value), fields=(error.value.field,))
    return error.value


@pytest.mark.parametrize("changes, field", [
    ({"model": "no-such-model"}, "model"),
    ({"training_config__data_config__dataset_id": "no-such-dataset"}, "training_config.data_config.dataset_id"),
    ({"training_config__data_config__dataset_id": "qa"}, "training_config.data_config.dataset_id"),
    ({"training_config__data_config__dataset_id": "preferences"}, "training_config.data_config.dataset_id"),
    ({"training_config__n_epochs": -1}, "training_config.n_epochs"),
    ({"training_config__data_config__batch_size": -2}, "training_config.data_config.batch_size"),
    ({"training_config__optimizer_config__optimizer_type": "lion"}, "optimizer_type"),
    ({"training_config__optimizer_config__optimizer_type": DROP}, "optimizer_type"),
    ({"training_config__data_config__data_format": DROP}, "training_config.data_config.data_format"),
    ({"training_config__data_config": DROP}, "training_config.data_config"),
    ({"model": DROP}, "model"),
    ({"training_config__optimizer_config__lr": -0.1}, "training_config.optimizer_config.lr"),
    ({"training_config__dtype": "int3"}, "training_config.dtype"),
    ({"algorithm_config": {"type": "PPO"}}, "algorithm_config"),
    ({"algorithm_config": {}}, "algorithm_config"),
    ({"algorithm_config": {**LORA, "lora_attn_modules": ["nope"]}}, "algorithm_config.lora_attn_modules[0]"),
    ({"algorithm_config": {**LORA, "rank": 0}}, "algorithm_config.rank"),
    ({"algorithm_config": {"type": "QAT", "quantizer_name": "Int2", "group_size": 32}},
     "algorithm_config.quantizer_name"),
])
def test_bad_sft_requests_are_400_naming_the_field(api, changes, field):
    error = _refused(api, f"{POST_TRAINING}/SupervisedFineTune", _sft_body(**changes))
    assert error.code == "INVALID_ARGUMENT" and error.names(field), error


def test_qlora_and_kto_pair_say_why_not(api):
    with pytest.raises(ApiError) as error:
        api.call(f"{POST_TRAINING}/SupervisedFineTune", _sft_body(algorithm_config={**LORA, "quantize_base": True}))
    assert error.value.code in ("FAILED_PRECONDITION", "INVALID_ARGUMENT") and "bitsandbytes" in error.value.message
    with pytest.raises(ApiError) as error:
        api.call(f"{POST_TRAINING}/PreferenceOptimize", {
            "job_uuid": "bad", "finetuned_model": "tiny-llama",
            "algorithm_config": {"beta": 0.1, "loss_type": "kto_pair"},
            "training_config": training_config("preferences"), "hyperparam_search_config": {}, "logger_config": {}})
    assert error.value.code == "INVALID_ARGUMENT" and error.value.names("algorithm_config.loss_type")
    assert "kto_pair" in error.value.message


@pytest.mark.parametrize("method, field", [("GetTrainingJobStatus", "job_uuid"), ("CancelTrainingJob", "job_uuid"),
                                           ("GetTrainingJobArtifacts", "job_uuid")])
def test_unknown_job_is_404(api, method, field):
    with pytest.raises(ApiError) as error:
        api.call(f"{POST_TRAINING}/{method}", {"job_uuid": "no-such-job"})
    assert error.value.code == "NOT_FOUND" and error.value.names(field), error.value


@pytest.mark.parametrize("body, field", [
    ({"model": "tiny-llama"}, "data"),
    ({"model": "nope", "data": "data:application/jsonl,{}"}, "model"),
    ({"model": "tiny-llama", "data": "file:///etc/passwd"}, "data"),
    ({"model": "tiny-llama", "data": "data:application/jsonl;base64,e30K"}, "data"),  # {}: no dialog
    ({"model": "tiny-llama", "data": "data:application/jsonl,[1]"}, "data"),
    ({"model": "tiny-llama", "data": "data:application/jsonl,{}",
      "fine_tuning_options": {"n_epochs": -1}}, "fine_tuning_options.n_epochs"),
    ({"model": "tiny-llama", "data": "data:application/jsonl,{}",
      "fine_tuning_options": {"extras": {"warp": 9}}}, "fine_tuning_options.extras.warp"),
    ({"model": "tiny-llama", "data": "data:application/jsonl,{}", "overrides": "--nproc_per_node 4"},
     "overrides"),
])
def test_bad_draft_submissions_are_400_naming_the_field(api, body, field):
    with pytest.raises(ApiError) as error:
        api.call(f"{FINE_TUNING}/SubmitFineTuningJob", body)
    assert error.value.code == "INVALID_ARGUMENT" and error.value.names(field), error.value


@pytest.mark.parametrize("method", ["GetFineTuningJobStatus", "CancelFineTuningJob"])
def test_unknown_draft_job_is_404(api, method):
    with pytest.raises(ApiError) as error:
        api.call(f"{FINE_TUNING}/{method}", {"job_id": "no-such-job"})
    assert error.value.code == "NOT_FOUND" and error.value.names("job_id")


def test_unknown_draft_job_tail_is_404(api):
    with pytest.raises(ApiError) as error:
        api.stream(f"{FINE_TUNING}/TailFineTuningJobLogs", {"job_id": "no-such-job"})
    assert error.value.code == "NOT_FOUND"


def test_one_api_does_not_show_the_other_s_jobs(api):
    with pytest.raises(ApiError) as error:
        api.call(f"{FINE_TUNING}/GetFineTuningJobStatus", {"job_id": "sft-full"})
    assert error.value.code == "NOT_FOUND"
