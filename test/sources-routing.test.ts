/**
 * Per-sample routing (pure): the question's own words decide before the source table's prior — a reasoning question
 * in a captioning/transcription subset is kept, a transcription request is rejected anywhere — and every decision
 * carries its reason.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { questionFeatures, reasoningSignals } from '../core/routing/question-features.ts';
import { routeByQuestion } from '../core/routing/per-sample.ts';
import { routeBySource } from '../core/routing/source-table.ts';

const route = (q: string, source: string, choices?: string[]) =>
  routeByQuestion(q, choices, source, routeBySource(source));

describe('question features', () => {
  test('signals: counting, arithmetic, why, comparisons with numbers, options; numbers alone are not enough', () => {
    assert.deepEqual(reasoningSignals(questionFeatures('How many people are in the picture?')), ['counting']);
    assert.deepEqual(reasoningSignals(questionFeatures('What is the total cost including tax?')), ['arithmetic']);
    assert.deepEqual(reasoningSignals(questionFeatures('Why is the man holding an umbrella?')), ['why/explain']);
    assert.deepEqual(reasoningSignals(questionFeatures('Is the 2019 value higher than the 2018 value?')), [
      'comparison',
    ]);
    assert.deepEqual(reasoningSignals(questionFeatures('Which animal is shown?', ['cat', 'dog'])), ['options']);
    assert.deepEqual(reasoningSignals(questionFeatures('What is written on line 3?')), []);
    assert.deepEqual(reasoningSignals(questionFeatures('What colour is the bus?')), []);
  });
});

describe('routeByQuestion', () => {
  test('a reasoning question in a transcription subset is kept, with the reason', () => {
    const d = route('What is the total cost including tax?', 'textocr(gpt4v)');
    assert.equal(d.reject, null);
    assert.equal(d.by, 'question');
    assert.match(d.why, /needs reasoning \(arithmetic\) although source textocr\(gpt4v\) is captioning\/transcription/);
    assert.equal(route('How many words are in the title?', 'iam(cauldron)').reject, null);
  });

  test('a plain transcription or caption question in such a subset is rejected, with the reason', () => {
    const d = route('What does the sign say?', 'textocr(gpt4v)');
    assert.equal(d.reject?.code, 'no_reasoning');
    assert.match(d.why, /captioning\/transcription; question shows no reasoning signal/);
  });

  test('a description or transcription request is rejected in any subset', () => {
    for (const [q, src] of [
      ['Describe this image in detail.', 'chartqa'],
      ['Transcribe the text in the image.', 'geo3k'],
      ['Please describe the chart.', 'unknown_set'],
    ] as const) {
      const d = route(q, src);
      assert.equal(d.reject?.code, 'no_reasoning', q);
      assert.match(d.why, /description or transcription/);
    }
  });

  test('reasoning subsets keep the table as the prior; unknown subsets say so', () => {
    const d = route('What colour is the bus?', 'aokvqa(cauldron,llava_format)');
    assert.equal(d.reject, null);
    assert.equal(d.by, 'table');
    assert.match(d.why, /source table: aokvqa\(cauldron,llava_format\) → natural/);
    assert.match(route('How many bars are there?', 'nobody_knows').why, /question: counting/);
  });
});
