/**
 * Generates the small default NER corpus shipped in data/: train.txt, dev.txt (CoNLL, `token TAG`,
 * IOB2), embeddings.txt (GloVe text, 25 dims) and README.md. Every name is invented by a syllable
 * generator and every sentence comes from the templates below, so the corpus holds no third-party
 * text and can ship. All randomness comes from one seeded Rng: the output is byte-identical each run.
 *
 *   npx tsx scripts/make-default-data.ts [outDir]     (default: data/ next to this script)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Rng } from '../src/math/random.js';

const SEED = 2003;
const TRAIN_SENTENCES = 600;
const DEV_SENTENCES = 200;
/** Chance that a dev entity comes from the dev-only pools: about half of dev mentions are then unseen in train. */
const DEV_UNSEEN_CHANCE = 0.5;
const DIM = 25;
/** Share of name words left out of embeddings.txt, so "no pretrained vector: start random" is exercised. */
const MISSING_NAME_VECTORS = 0.05;
/** Extra names that only exist in embeddings.txt, as a real pretrained vocabulary is wider than the corpus. */
const EXTRA_EMBEDDING_NAMES = 150;

type EntityType = 'PER' | 'ORG' | 'LOC' | 'MISC';
type Slot = 'PER' | 'SUR' | 'ORG' | 'TEAM' | 'TOWN' | 'COUNTRY' | 'NAT' | 'EVENT';
type Side = Record<Exclude<Slot, 'SUR'>, string[]>;
interface Token { text: string; tag: string }
type Sentence = Token[];

const SLOT_TYPE: Record<Slot, EntityType> = {
  PER: 'PER', SUR: 'PER', ORG: 'ORG', TEAM: 'ORG', TOWN: 'LOC', COUNTRY: 'LOC', NAT: 'MISC', EVENT: 'MISC',
};

// Lexical slots vary the context words; `_` joins a multi-token alternative. The class names the
// embedding centroid the words get, so e.g. all weekdays sit near each other.
const LEX: Record<string, { cls: string; words: string[] }> = {
  day: { cls: 'weekday', words: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] },
  // No "May": it would also be a verb.
  month: { cls: 'month', words: 'January February March April June July August September October November December'.split(' ') },
  said: { cls: 'verb', words: ['said', 'added', 'told_reporters', 'stated', 'announced'] },
  moved: { cls: 'verb', words: ['rose', 'fell', 'climbed', 'dropped', 'jumped', 'slipped'] },
  visited: { cls: 'verb', words: ['visited', 'toured', 'left', 'reached'] },
  title: { cls: 'title', words: ['chairman', 'president', 'spokesman', 'director', 'chief_executive', 'treasurer'] },
  office: { cls: 'title', words: ['prime_minister', 'foreign_minister', 'president', 'finance_minister', 'ambassador'] },
  numword: { cls: 'number', words: ['three', 'four', 'five', 'six', 'seven'] },
  sport: { cls: 'common', words: ['soccer', 'tennis', 'golf', 'cycling', 'athletics'] },
};

/** Number-like slots: digits in scores, dates, prices, so the caps/shape features see them. */
function numberSlot(name: string, rng: Rng): string | null {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  switch (name) {
    case 'num': return String(2 + rng.int(98));
    case 'age': return String(24 + rng.int(50));
    case 'goals': return String(rng.int(6));
    case 'minute': return String(1 + rng.int(90));
    case 'year': return String(1985 + rng.int(40));
    case 'pct': return `${rng.int(9)}.${rng.int(10)}`;
    case 'big': return `${1 + rng.int(90)},${pad(rng.int(1000), 3)}`;
    case 'money': return `${1 + rng.int(900)}.${rng.int(10)} million dollars`;
    case 'score': { // winner first, as the templates say "beat"
      const won = 1 + rng.int(5);
      return `${won}-${rng.int(won)}`;
    }
    case 'set': return rng.int(4) === 0 ? '7-5' : `6-${rng.int(5)}`;
    case 'rank': return `${1 + rng.int(10)}.`;
    case 'time': return `${1 + rng.int(2)}:${pad(rng.int(60))}.${pad(rng.int(100))}`;
    case 'date': return `${1990 + rng.int(30)}-${pad(1 + rng.int(12))}-${pad(1 + rng.int(28))}`;
    default: return null;
  }
}

// `{UPPER}` is an entity slot, `{lower}` a lexical/number slot, `a|b` an inline choice; a leading
// `^` upper-cases the whole sentence (headlines and datelines, as in news wire text).
const TEMPLATES: string[] = [
  // business
  '{PER} , {title} of {ORG} , {said} on {day} that profits would rise|fall|improve this year .',
  '{ORG} {said} on {day} its first-half|third-quarter|annual net profit {moved} to {money} from {money} .',
  'Shares in {ORG} {moved} {pct} percent in {TOWN} on {day} .',
  '{TOWN} \'s {ORG} {said} it would cut {num} jobs by {month} .',
  '{ORG} and {ORG} agreed to merge in a deal worth {money} .',
  '{ORG} , based in {TOWN} , {said} {num} workers would lose their jobs .',
  'A spokesman for {ORG} declined to comment on {day} .',
  '{ORG} {title} {PER} resigned on {day} , the company {said} .',
  '{PER} of {ORG} said|believed {ORG} was likely to raise its offer .',
  '{ORG} opened a new plant in {TOWN} , {COUNTRY} , in {month} .',
  'Analysts expect {ORG} to report a loss of {money} for {year} .',
  // politics and general news
  '{PER} {visited} {TOWN} on {day} for talks with {NAT} officials .',
  '{COUNTRY} \'s {office} {PER} arrived in {TOWN} on {day} .',
  '{PER} , the {NAT} {office} , {said} he would decide by {month} .',
  '{COUNTRY} and {COUNTRY} signed a trade|defence|border agreement in {TOWN} on {day} .',
  'The {NAT} government {said} on {day} it had approved|blocked|delayed the {ORG} deal .',
  '{PER} told reporters in {TOWN} that {COUNTRY} would seek new talks .',
  '{PER} and {PER} will meet in {TOWN} on {day} .',
  '{SUR} {said} the {NAT} economy would grow {pct} percent in {year} .',
  '{NAT} and {NAT} troops held joint exercises near {TOWN} .',
  'Talks between {ORG} and the {NAT} government broke down on {day} .',
  '{PER} {said} : " {COUNTRY} will not accept this . "',
  '" We are very happy|pleased|disappointed with the result , " said|added {PER} .',
  '{SUR} , {age} , joined {ORG} in {year} .',
  'Police in {TOWN} {said} {num} people were hurt|injured|arrested on {day} .',
  '{num} people were killed when a bus crashed near {TOWN} , police {said} .',
  '{PER} , who was born in {TOWN} , moved to {COUNTRY} in {year} .',
  '^{TOWN} {date}',
  // sports
  '{TEAM} beat {TEAM} {score} in the {NAT} league on {day} .',
  '{TEAM} {goals} {TEAM} {goals}',
  '{PER} ( {COUNTRY} ) beat {PER} ( {COUNTRY} ) {set} {set}',
  '{PER} won the {EVENT} on {day} , finishing {num} seconds ahead of {PER} .',
  '{NAT} {PER} , who won the {EVENT} last year , withdrew with a knee|back|shoulder injury .',
  '{PER} scored twice as {TEAM} beat {TEAM} {score} .',
  'Results of the {EVENT} on {day} :',
  '{rank} {PER} ( {COUNTRY} ) {time}',
  'The {EVENT} will be held in {TOWN} in {month} .',
  '{TEAM} coach {PER} was sacked on {day} after {numword} straight defeats .',
  'Scorers : {PER} ( {minute} ) , {PER} ( {minute} )',
  '{PER} , {PER} and {PER} were named in the {NAT} squad for the {EVENT} .',
  'The {EVENT} ended on {day} with a win for {PER} .',
  'The {NAT} federation banned {PER} for {num} months .',
  '^{sport} - {TEAM} beat|edge|hold {TEAM}',
  'Attendance : {big}',
  // no entities at all: the tagger must also learn to say O
  'The index {moved} {num} points to {big} on {day} .',
  'Prices {moved} {pct} percent in {month} , the statistics office {said} .',
  'Trading was thin|quiet|nervous ahead of the holiday , dealers {said} .',
  'It was not clear when the talks would resume .',
  '" It is too early to say , " he|she said|added .',
  'Half-time : {score}',
  'The weather was cold|wet|fine on {day} and {numword} matches were postponed .',
];

// ---- invented names -------------------------------------------------------------------------

const ONSETS = ['b', 'br', 'd', 'dr', 'f', 'g', 'gr', 'h', 'k', 'kr', 'l', 'm', 'n', 'p', 'r', 's', 'st', 't', 'tr', 'v', 'z', 'sh', 'th'];
const NUCLEI = ['a', 'e', 'i', 'o', 'u', 'a', 'e', 'o', 'ai', 'ou'];
const CODAS = ['', '', '', 'n', 'r', 'l', 's', 'nd', 'rk', 'm'];
// Endings give each class its own look (towns end in -ford/-burg ...), as real names do.
const ENDINGS = {
  first: ['a', 'o', 'en', 'ia', 'ik', 'el', 'in', 'ar'],
  surname: ['sen', 'ov', 'ez', 'ard', 'mann', 'ley', 'ic', 'ow'],
  town: ['ford', 'burg', 'ton', 'mouth', 'vale', 'stad', 'wick', 'holm'],
  orgstem: ['ex', 'on', 'ar', 'is', 'tek'],
};
/** Fixed words inside multi-token names, with the embedding class they belong to. */
const NAME_WORDS: Record<string, string> = {
  holdings: 'orgword', group: 'orgword', airlines: 'orgword', bank: 'orgword', motors: 'orgword', oil: 'orgword',
  united: 'teamword', rovers: 'teamword', city: 'teamword', open: 'eventword', grand: 'eventword', prix: 'eventword',
  cup: 'eventword', marathon: 'eventword',
};
const NAME_CLASSES = new Set(['first', 'surname', 'town', 'orgstem', 'country', 'nat']);

const cap = (w: string): string => w.charAt(0).toUpperCase() + w.slice(1);
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];
const times = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);

/** Invents unique capitalised names and remembers each word's embedding class(es). */
class Namer {
  readonly classes = new Map<string, Set<string>>();
  private readonly used: Set<string>;

  constructor(private readonly rng: Rng, reserved: Iterable<string>) {
    this.used = new Set(reserved);
  }

  note(word: string, cls: string): void {
    const key = word.toLowerCase();
    const set = this.classes.get(key) ?? new Set<string>();
    set.add(cls);
    this.classes.set(key, set);
  }

  /** Takes `words` for good if none is taken yet; ambiguity is added on purpose, never by accident. */
  claim(...words: string[]): boolean {
    if (words.some((w) => w.length < 4 || this.used.has(w.toLowerCase()))) return false;
    words.forEach((w) => this.used.add(w.toLowerCase()));
    return true;
  }

  make(cls: keyof typeof ENDINGS): string {
    for (;;) {
      let w = '';
      for (let s = 1 + this.rng.int(2); s > 0; s--) w += pick(this.rng, ONSETS) + pick(this.rng, NUCLEI) + pick(this.rng, CODAS);
      w = cap(w + pick(this.rng, ENDINGS[cls]));
      if (!this.claim(w)) continue;
      this.note(w, cls);
      return w;
    }
  }

  /** A country and its nationality from one stem: "Dravia" / "Dravian", "Korland" / "Korlish". */
  country(landish: boolean): [string, string] {
    for (;;) {
      let stem = '';
      for (let s = 1 + this.rng.int(2); s > 0; s--) stem += pick(this.rng, ONSETS) + pick(this.rng, NUCLEI);
      stem = cap(stem + pick(this.rng, ['n', 'r', 'l', 'd', 'v']));
      const pair: [string, string] = landish ? [`${stem}land`, `${stem}ish`] : [`${stem}ia`, `${stem}ian`];
      if (!this.claim(...pair)) continue;
      this.note(pair[0], 'country');
      this.note(pair[1], 'nat');
      return pair;
    }
  }
}

/** Entity pools for one side (shared = train and dev, or dev-only); `k` scales the pool sizes. */
function makeSide(rng: Rng, nm: Namer, k: number, ambiguous: boolean): Side {
  const n = (x: number): number => Math.round(x * k);
  const firsts = times(n(60), () => nm.make('first'));
  const surnames = times(n(70), () => nm.make('surname'));
  const towns = times(n(50), () => nm.make('town'));
  const stems = times(n(30), () => nm.make('orgstem'));
  const countries = times(n(14), () => nm.country(rng.int(3) === 0));
  const COUNTRY = countries.map(([c]) => c);
  const NAT = countries.map(([, nat]) => nat);
  // Ambiguity: a few town names are also surnames (PER in one sentence, LOC in another).
  const twoWay = ambiguous ? towns.slice(0, 5) : [];
  twoWay.forEach((t) => nm.note(t, 'surname'));
  const PER = [...new Set([
    ...twoWay.map((t) => `${pick(rng, firsts)} ${t}`),
    ...times(n(120), () => `${pick(rng, firsts)} ${pick(rng, surnames)}`),
  ])];
  // Companies often embed a town or surname: the same word is then part of an ORG.
  const orgPatterns = [
    (): string => `${pick(rng, stems)} Holdings`, (): string => `${pick(rng, stems)} Group`,
    (): string => `${pick(rng, stems)} Airlines`, (): string => `${pick(rng, surnames)} Bank`,
    (): string => `Bank of ${pick(rng, towns)}`, (): string => `${pick(rng, towns)} Motors`,
    (): string => pick(rng, stems), (): string => `${pick(rng, stems)} Oil`,
  ];
  const ORG = [...new Set(times(n(50), () => pick(rng, orgPatterns)()))];
  // Clubs are ORG even when the club name is just the town's name.
  const teamSuffix = ['United', 'Rovers', 'City', ''];
  const TEAM = [...new Set(times(n(24), () => `${pick(rng, towns)} ${pick(rng, teamSuffix)}`.trim()))];
  const eventPatterns = [
    (): string => `${pick(rng, towns)} Open`, (): string => `${pick(rng, NAT)} Grand Prix`,
    (): string => `${pick(rng, stems)} Cup`, (): string => `${pick(rng, towns)} Marathon`,
  ];
  const EVENT = [...new Set(times(n(16), () => pick(rng, eventPatterns)()))];
  return { PER, ORG, TEAM, TOWN: towns, COUNTRY, NAT, EVENT };
}

// ---- sentences ------------------------------------------------------------------------------

interface Pools { rng: Rng; shared: Side; devOnly: Side }

function pickEntity(p: Pools, slot: Slot, dev: boolean, used: Set<string>): string {
  const side = dev && p.rng.uniform() < DEV_UNSEEN_CHANCE ? p.devOnly : p.shared;
  for (;;) {
    const person = slot === 'SUR';
    const text = pick(p.rng, side[person ? 'PER' : slot]);
    const out = person ? text.split(' ').pop() ?? text : text;
    if (!used.has(out)) return (used.add(out), out);
  }
}

function fillSentence(p: Pools, template: string, dev: boolean): Sentence {
  const upper = template.startsWith('^');
  const out: Sentence = [];
  const used = new Set<string>();
  const words = (s: string, tag: (i: number) => string): void =>
    s.split(/[ _]/).forEach((text, i) => out.push({ text, tag: tag(i) }));
  for (const part of (upper ? template.slice(1) : template).split(' ')) {
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name !== undefined && name in SLOT_TYPE) {
      const type = SLOT_TYPE[name as Slot];
      words(pickEntity(p, name as Slot, dev, used), (i) => `${i === 0 ? 'B' : 'I'}-${type}`);
    } else if (name !== undefined) {
      words(numberSlot(name, p.rng) ?? pick(p.rng, LEX[name].words), () => 'O');
    } else {
      words(part.includes('|') ? pick(p.rng, part.split('|')) : part, () => 'O');
    }
  }
  out[0].text = cap(out[0].text);
  if (upper) out.forEach((t) => (t.text = t.text.toUpperCase()));
  return out;
}

const renderConll = (sentences: Sentence[]): string =>
  '-DOCSTART- O\n\n' + sentences.map((s) => s.map((t) => `${t.text} ${t.tag}\n`).join('')).join('\n');

/** The entity mentions of a sentence (tags are valid IOB2 by construction). */
function entities(s: Sentence): { type: string; text: string }[] {
  const found: { type: string; text: string }[] = [];
  for (const t of s) {
    if (t.tag.startsWith('B-')) found.push({ type: t.tag.slice(2), text: t.text });
    else if (t.tag.startsWith('I-')) found[found.length - 1].text += ` ${t.text}`;
  }
  return found;
}

// ---- embeddings -----------------------------------------------------------------------------

const FUNCTION_WORDS = new Set(
  "a the of in on and to for with by from at that it its he she we who was were is are be would will not this their when as after ahead between near 's".split(' '),
);

function wordClasses(word: string, nm: Namer): string[] {
  const known = nm.classes.get(word);
  if (known) return [...known].sort();
  if (NAME_WORDS[word]) return [NAME_WORDS[word]];
  for (const { cls, words } of Object.values(LEX)) {
    if (words.some((w) => w.toLowerCase().split('_').includes(word))) return [cls];
  }
  if (/\d/.test(word)) return ['number'];
  if (/^\p{P}+$/u.test(word)) return ['punct'];
  return [FUNCTION_WORDS.has(word) ? 'function' : 'common'];
}

/** Vector = mean of the word's class centroids + noise, so same-class words are neighbours. */
interface RenderedEmbeddings { text: string; missing: Set<string>; extra: number }

function renderEmbeddings(rng: Rng, nm: Namer, corpusWords: Set<string>): RenderedEmbeddings {
  const centroids = new Map<string, number[]>();
  const centroid = (cls: string): number[] => {
    if (!centroids.has(cls)) centroids.set(cls, times(DIM, () => rng.normal()));
    return centroids.get(cls) as number[];
  };
  const vocab = [...new Set([...corpusWords, ...nm.classes.keys()])].sort();
  const missing = new Set<string>();
  const rows: string[] = [];
  for (const word of vocab) {
    const classes = wordClasses(word, nm);
    if (corpusWords.has(word) && classes.every((c) => NAME_CLASSES.has(c)) && rng.uniform() < MISSING_NAME_VECTORS) {
      missing.add(word);
      continue;
    }
    const vec = times(DIM, () => 0.45 * rng.normal());
    for (const c of classes) centroid(c).forEach((v, j) => (vec[j] += v / classes.length));
    rows.push(`${word} ${vec.map((v) => v.toFixed(5).replace(/^-(0\.0+)$/, '$1')).join(' ')}\n`);
  }
  return { text: rows.join(''), missing, extra: vocab.length - corpusWords.size };
}

// ---- README ---------------------------------------------------------------------------------

function splitStats(name: string, sentences: Sentence[], missing: Set<string>): string {
  const counts: Record<string, number> = { PER: 0, ORG: 0, LOC: 0, MISC: 0 };
  sentences.flatMap(entities).forEach((e) => counts[e.type]++);
  const tokens = sentences.flat();
  const noVector = tokens.filter((t) => missing.has(t.text.toLowerCase())).length;
  const empty = sentences.filter((s) => entities(s).length === 0).length;
  return `| ${name} | ${sentences.length} | ${empty} | ${tokens.length} | ${counts.PER} | ${counts.ORG} | ${counts.LOC} | ${counts.MISC} | ${noVector} |`;
}

function renderReadme(train: Sentence[], dev: Sentence[], rows: number, missing: Set<string>, extra: number): string {
  const seen = new Set(train.flatMap(entities).map((e) => e.text));
  const devMentions = dev.flatMap(entities);
  const unseen = devMentions.filter((e) => !seen.has(e.text)).length;
  const distinct = [...new Set(devMentions.map((e) => e.text))];
  const distinctUnseen = distinct.filter((t) => !seen.has(t)).length;
  const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;
  return `# Default corpus

A small, fully invented named-entity corpus so \`ner-train\` works out of the box. Every name
(people, towns, countries, companies, clubs, events) comes from a seeded syllable-based name
generator and every sentence from hand-written news-style templates: there is no third-party text
here (no Reuters/CoNLL-2003 sentences or name lists), so the files can ship with the package.

Generated by \`npx tsx scripts/make-default-data.ts\` (seed ${SEED}); the script is deterministic
and \`test/data/default-corpus.test.ts\` checks that regenerating gives these exact bytes.
Do not edit the files by hand: change the script and rerun it.

## Files

- \`train.txt\`, \`dev.txt\`: CoNLL-style, one \`token TAG\` pair per line (two space-separated
  columns), a blank line between sentences, starting with a \`-DOCSTART- O\` line. Tags are IOB2
  (\`B-X\`, \`I-X\`, \`O\`) over the CoNLL-2003 types PER, ORG, LOC and MISC.
- \`embeddings.txt\`: synthetic "pretrained" vectors in GloVe text format (\`word v1 … v${DIM}\`,
  lowercase words, no header), ${rows} rows of ${DIM} dimensions. Each vector is the
  centroid of its word class (first name, surname, town, country, nationality, company word,
  weekday, month, number, verb, function word, punctuation, …) plus gaussian noise, so words of
  one class are neighbours. It covers every lowercased word of both splits except
  ${missing.size} names left out on purpose (they start from random vectors), plus
  ${extra} generated names that occur in neither split (a real pretrained vocabulary is also
  wider than any one corpus).

## Counts

| split | sentences | without entities | tokens | PER | ORG | LOC | MISC | tokens without a vector |
|---|---|---|---|---|---|---|---|---|
${splitStats('train', train, missing)}
${splitStats('dev', dev, missing)}

Dev entity mentions whose string never occurs as an entity in train: ${unseen} of
${devMentions.length} (${pct(unseen, devMentions.length)}); distinct dev entity strings:
${distinctUnseen} of ${distinct.length} unseen (${pct(distinctUnseen, distinct.length)}).

## What makes it a learning problem

- Dev draws about half of its entities from name pools that train never uses, so a tagger must
  generalise from context words, capitalisation and the embeddings rather than memorise names.
- Some strings change type with context: a few towns are also surnames (LOC vs PER), towns
  appear inside company and club names (\`Bank of X\`, \`X Motors\`, a bare \`X\` as a club in
  results lines are ORG), nationalities name events (\`X Grand Prix\` is MISC).
- Entities of different types stand side by side (\`X 's Y\`, a nationality right before a
  person), headlines and datelines are upper-cased, and numbers, scores and dates carry digits.
`;
}

// ---- entry points ---------------------------------------------------------------------------

export interface DefaultCorpus { train: string; dev: string; embeddings: string; readme: string }

/** Builds the whole corpus as strings (no files touched). */
export function renderDefaultCorpus(): DefaultCorpus {
  const rng = new Rng(SEED);
  // Invented names must never collide with a template or lexicon word.
  const reserved = [...TEMPLATES, ...Object.values(LEX).flatMap((l) => l.words), ...Object.keys(NAME_WORDS)];
  const nm = new Namer(rng, reserved.join(' ').toLowerCase().split(/[ |_{}^]+/));
  const pools: Pools = { rng, shared: makeSide(rng, nm, 1, true), devOnly: makeSide(rng, nm, 1, false) };
  const make = (n: number, dev: boolean): Sentence[] => times(n, () => fillSentence(pools, pick(rng, TEMPLATES), dev));
  const train = make(TRAIN_SENTENCES, false);
  const dev = make(DEV_SENTENCES, true);
  // Names that never occur in the corpus, generated after it so they do not disturb its draws.
  for (let i = 0; i < EXTRA_EMBEDDING_NAMES; i++) nm.make((['first', 'surname', 'town'] as const)[i % 3]);
  const corpusWords = new Set([...train, ...dev].flat().map((t) => t.text.toLowerCase()));
  const { text: embeddings, missing, extra } = renderEmbeddings(rng, nm, corpusWords);
  const rows = embeddings.split('\n').length - 1;
  const readme = renderReadme(train, dev, rows, missing, extra);
  return { train: renderConll(train), dev: renderConll(dev), embeddings, readme };
}

/** Writes train.txt, dev.txt, embeddings.txt and README.md into `outDir`. */
export function generateDefaultData(outDir: string): void {
  const corpus = renderDefaultCorpus();
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'train.txt'), corpus.train);
  writeFileSync(join(outDir, 'dev.txt'), corpus.dev);
  writeFileSync(join(outDir, 'embeddings.txt'), corpus.embeddings);
  writeFileSync(join(outDir, 'README.md'), corpus.readme);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outDir = process.argv[2] ?? fileURLToPath(new URL('../data/', import.meta.url));
  generateDefaultData(outDir);
  console.log(`wrote train.txt, dev.txt, embeddings.txt, README.md to ${outDir}`);
}
