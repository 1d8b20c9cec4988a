"""Development experiment behind docs/QUALITY.md's partial fine-tuning figure (not part of
the product): 5-fold cross-validation of multilingual-e5-small with its top K layers
fine-tuned (the lower layers frozen, their output computed once), mean pooling and a
linear layer, binary cross-entropy, AdamW with a linear decay. Prints micro-F1 at the best
single threshold (chosen on the held-out folds: optimistic). Needs torch, transformers and
scikit-learn (the bench venv of benches/bench_encoder.sh has them).

    python scripts/experiments/partial_finetune_experiment.py CODED.csv [K=2] [EPOCHS=6] [LR=1e-4]
"""
import copy, csv, os, sys, time
import numpy as np, torch
from tokenizers import Tokenizer
from transformers import AutoModel
from sklearn.model_selection import KFold

torch.manual_seed(0); torch.set_num_threads(2)
M = os.path.join(os.path.dirname(__file__), '..', 'models', 'multilingual-e5-small')
rows = list(csv.DictReader(open(sys.argv[1], encoding='utf-8')))
k = int(sys.argv[2]) if len(sys.argv) > 2 else 2
epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 6
lr = float(sys.argv[4]) if len(sys.argv) > 4 else 1e-4
first = 12 - k
labs = [set(r['themes'].split(';')) - {''} for r in rows]
cats = sorted(set().union(*labs))
Y = np.array([[c in l for c in cats] for l in labs], np.float32)
tok = Tokenizer.from_file(M + '/tokenizer.json')
model = AutoModel.from_pretrained(M).eval()
with torch.no_grad():  # the frozen part, once per sentence
    H = []
    for r in rows:
        ids = torch.tensor([tok.encode('query: ' + r['text']).ids[:128]])
        out = model(input_ids=ids, attention_mask=torch.ones_like(ids), output_hidden_states=True)
        H.append(out.hidden_states[first][0].clone())

def pad(idx):
    hs = [H[i] for i in idx]; T = max(h.shape[0] for h in hs)
    x = torch.zeros(len(hs), T, hs[0].shape[1]); m = torch.zeros(len(hs), T)
    for r, h in enumerate(hs): x[r, :h.shape[0]] = h; m[r, :h.shape[0]] = 1
    return x, m

P = np.zeros_like(Y); t0 = time.time()
for f, (tr, te) in enumerate(KFold(5, shuffle=True, random_state=0).split(Y)):
    torch.manual_seed(0)
    layers = torch.nn.ModuleList([copy.deepcopy(model.encoder.layer[i]) for i in range(first, 12)])
    head = torch.nn.Linear(H[0].shape[1], len(cats))
    opt = torch.optim.AdamW([{'params': layers.parameters(), 'lr': lr}, {'params': head.parameters(), 'lr': 1e-3}])
    steps = epochs * ((len(tr) + 15) // 16)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / steps)
    def fwd(idx):
        x, m = pad(idx); ext = (1.0 - m)[:, None, None, :] * -1e9
        for l in layers: x = l(x, attention_mask=ext)[0]
        mf = m.unsqueeze(-1); return head((x * mf).sum(1) / mf.sum(1))
    for ep in range(epochs):
        layers.train(); perm = np.random.RandomState(ep).permutation(tr)
        for s in range(0, len(perm), 16):
            idx = perm[s:s + 16]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(fwd(idx), torch.tensor(Y[idx]))
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    layers.eval()
    with torch.no_grad():
        P[te] = np.vstack([torch.sigmoid(fwd(te[s:s + 64])).numpy() for s in range(0, len(te), 64)])
    print('fold', f, round(time.time() - t0), 's', flush=True)
yt = Y == 1
best = max((2 * ((P >= t) & yt).sum() / ((P >= t).sum() + yt.sum()), t) for t in np.arange(0.15, 0.6, 0.025))
print(f'top {k} layers, {epochs} epochs, lr {lr}: micro-F1 {best[0]:.3f} at threshold {best[1]:.3f}')
