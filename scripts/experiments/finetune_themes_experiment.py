"""Development experiment behind docs/QUALITY.md's fine-tuning figure (not part of the
product): fine-tune multilingual-e5-small on coded verbatims (one fold of 5 held out) and
print the held-out micro-F1 per epoch. Needs torch and transformers (the bench venv of
benches/bench_encoder.sh has both).

    python scripts/experiments/finetune_themes_experiment.py CODED.csv   # from scripts/semeval_to_coded.py
"""
import csv, os, sys, time
import numpy as np, torch
from transformers import AutoModel
from tokenizers import Tokenizer
from sklearn.model_selection import KFold
torch.manual_seed(0); torch.set_num_threads(2)
M=os.path.join(os.path.dirname(__file__), '..', 'models', 'multilingual-e5-small')
rows=list(csv.DictReader(open(sys.argv[1],encoding='utf-8')))
lang=sys.argv[1]
tok=Tokenizer.from_file(M+'/tokenizer.json')
texts=[r['text'] for r in rows]; labs=[set(r['themes'].split(';'))-{''} for r in rows]
cats=sorted(set().union(*labs)); Y=np.array([[c in l for c in cats] for l in labs],np.float32)
tr,te=next(KFold(5,shuffle=True,random_state=0).split(Y))
enc=lambda idx:[tok.encode('query: '+texts[i]).ids[:128] for i in idx]
def batch(idx):
    e=enc(idx); T=max(map(len,e)); ids=torch.ones(len(e),T,dtype=torch.long); m=torch.zeros(len(e),T,dtype=torch.long)
    for r,x in enumerate(e): ids[r,:len(x)]=torch.tensor(x); m[r,:len(x)]=1
    return ids,m
model=AutoModel.from_pretrained(M); head=torch.nn.Linear(384,len(cats))
model.embeddings.word_embeddings.weight.requires_grad=False
params=[p for p in model.parameters() if p.requires_grad]+list(head.parameters())
opt=torch.optim.AdamW([{'params':[p for p in model.parameters() if p.requires_grad],'lr':5e-5},{'params':head.parameters(),'lr':1e-3}])
def fwd(ids,m):
    h=model(input_ids=ids,attention_mask=m).last_hidden_state; mf=m.unsqueeze(-1).float()
    return head((h*mf).sum(1)/mf.sum(1))
t0=time.time()
for ep in range(4):
    model.train(); perm=np.random.RandomState(ep).permutation(tr)
    for s in range(0,len(perm),16):
        idx=perm[s:s+16]; ids,m=batch(idx)
        loss=torch.nn.functional.binary_cross_entropy_with_logits(fwd(ids,m),torch.tensor(Y[idx]))
        opt.zero_grad(); loss.backward(); opt.step()
    model.eval()
    with torch.no_grad():
        P=np.vstack([torch.sigmoid(fwd(*batch(te[s:s+64]))).numpy() for s in range(0,len(te),64)])
    yt=Y[te]==1
    for t in [0.3,0.4,0.5]:
        p=P>=t; tp=(p&yt).sum(); print(lang,'epoch',ep,'t',t,'F1',round(2*tp/(p.sum()+yt.sum()),3),round(time.time()-t0),flush=True)
