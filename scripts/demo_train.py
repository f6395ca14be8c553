"""`make demo`'s notebook step: the seed's submit.py flow against the demo's skiff up, with the
seed's train_func made CPU-only (gloo, no .cuda()), as docs/training-sdk.md explains."""
from kubeflow.trainer import CustomTrainer, TrainerClient


def train_func():
    import os
    import torch
    import torch.nn as nn
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group(backend="gloo")
    local_rank = int(os.environ["LOCAL_RANK"])
    model = DDP(nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(5):
        x = torch.randn(32, 4)
        y = torch.randint(0, 3, (32,))
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        if local_rank == 0:
            print(f"epoch={epoch} loss={loss.item():.4f} world_size={dist.get_world_size()}")
    dist.destroy_process_group()


client = TrainerClient()
job_id = client.train(
    runtime=client.get_runtime("torch-distributed"),
    trainer=CustomTrainer(func=train_func, num_nodes=2, packages_to_install=["torch"]),
)
print("submitted", job_id)
client.wait_for_job_status(job_id, status={"Complete"}, timeout=300)
print("\n".join(client.get_job_logs(name=job_id)))
job = client.get_job(job_id)
print("status:", job.status, "steps:", [(s.name, s.status) for s in job.steps])
