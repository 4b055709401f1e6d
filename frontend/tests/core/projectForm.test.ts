import { describe, expect, it } from "vitest";
import {
  buildProjectCreate,
  parseKeypointNames,
  parsePairs,
  type ProjectFormInput,
} from "../../src/core/projectForm";

const form = (over: Partial<ProjectFormInput> = {}): ProjectFormInput => ({
  name: "Gulls",
  description: "",
  keypoints: "beak\nhead\ntail",
  skeleton: "",
  flipPairs: "",
  validationFraction: "0.2",
  ...over,
});

describe("parseKeypointNames", () => {
  it("reads names one per line or comma-separated, in order, trimmed, without blanks", () => {
    expect(parseKeypointNames(" beak , head\n\n tail \r\nwing_left,")).toEqual([
      "beak",
      "head",
      "tail",
      "wing_left",
    ]);
  });
});

describe("parsePairs", () => {
  const names = ["beak", "head", "tail"];
  it("reads a-b per line or separated by ; and ,", () => {
    expect(parsePairs("beak-head\nhead - tail; tail-beak", names, "Skeleton")).toEqual({
      pairs: [
        ["beak", "head"],
        ["head", "tail"],
        ["tail", "beak"],
      ],
      errors: [],
    });
  });

  it("names the unknown keypoints of an edge", () => {
    const { pairs, errors } = parsePairs("beak-head\nhead-wing\nfoot-fin", names, "Skeleton");
    expect(pairs).toEqual([["beak", "head"]]);
    expect(errors).toEqual([
      'Skeleton: "head-wing" names unknown keypoint wing',
      'Skeleton: "foot-fin" names unknown keypoints foot, fin',
    ]);
  });

  it("finds names that hold a dash, and refuses a line that is no pair", () => {
    const dashed = ["ear-left", "ear-right", "nose"];
    expect(parsePairs("ear-left-ear-right\nnose-ear-left", dashed, "Flip pairs").pairs).toEqual([
      ["ear-left", "ear-right"],
      ["nose", "ear-left"],
    ]);
    expect(parsePairs("beak", names, "Skeleton").errors).toEqual([
      'Skeleton: "beak" is not a pair; write it as a-b',
    ]);
  });

  it("refuses a keypoint paired with itself and a split that reads two ways", () => {
    expect(parsePairs("beak-beak", names, "Skeleton").errors).toEqual([
      'Skeleton: "beak-beak" pairs a keypoint with itself',
    ]);
    expect(parsePairs("a-b-c", ["a", "b", "c", "a-b", "b-c"], "Skeleton").errors[0]).toContain(
      "more than one way",
    );
  });
});

describe("buildProjectCreate", () => {
  it("builds the POST body with skeleton, flip pairs and the validation fraction", () => {
    const result = buildProjectCreate(
      form({
        keypoints: "eye_left, eye_right, beak",
        skeleton: "eye_left-beak\neye_right-beak",
        flipPairs: "eye_left-eye_right",
        validationFraction: "0.25",
      }),
    );
    expect(result).toEqual({
      ok: true,
      body: {
        name: "Gulls",
        description: "",
        keypoint_schema: {
          keypoints: [{ name: "eye_left" }, { name: "eye_right" }, { name: "beak" }],
          skeleton: [
            ["eye_left", "beak"],
            ["eye_right", "beak"],
          ],
          flip_pairs: [["eye_left", "eye_right"]],
        },
        settings: { validation_fraction: 0.25 },
      },
    });
  });

  it("defaults an empty validation fraction to 0.2", () => {
    const result = buildProjectCreate(form({ validationFraction: " " }));
    expect(result.ok && result.body.settings).toEqual({ validation_fraction: 0.2 });
  });

  it("collects every mistake at once", () => {
    const result = buildProjectCreate(
      form({
        name: " ",
        keypoints: "beak, beak, tail",
        skeleton: "beak-wing",
        flipPairs: "beak-tail\ntail-beak",
        validationFraction: "0.95",
      }),
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        "Project name: required",
        "Keypoints: names must be unique; repeated: beak",
        'Skeleton: "beak-wing" names unknown keypoint wing',
        "Flip pairs: beak, tail in more than one pair",
        "Validation fraction: a number from 0 to 0.9",
      ],
    });
  });

  it("needs at least one keypoint and a numeric fraction", () => {
    const result = buildProjectCreate(form({ keypoints: " ,\n", validationFraction: "a fifth" }));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toEqual([
      "Keypoints: name at least one",
      "Validation fraction: a number from 0 to 0.9",
    ]);
  });
});
