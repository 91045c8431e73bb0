# Feature definitions: `materia features list | describe KEY | graph` on the example's
# three-step video pipeline (video/raw -> video/crop -> video/embed), how versions move
# when a code_version changes, and the errors a user sees for bad feature files.
source "$(dirname "$0")/lib.sh"

json_check() {  # json_check DESCRIPTION PYTHON_EXPRESSION (over `doc`, the JSON in $OUT)
  if JSON="$OUT" python3 -c "import json, os, sys; doc = json.loads(os.environ['JSON']); sys.exit(0 if ($2) else 1)"; then
    ok
  else
    fail "$1: $OUT"
  fi
}

# A project without features says so.
write_config empty
run_materia -p empty features
expect_code 0 "features without features/"
expect_out "No features in features/." "features without features/"
run_materia -p empty features list
expect_out "No features in features/." "list without features/"
run_materia -p empty features graph --format dot
expect_out "No features in features/." "graph without features/"
run_materia -p empty features list --format json
json_check "empty list as JSON" "doc['features'] == [] and len(doc['project_version']) == 16"

cp -r "$MATERIA_SOURCE_DIR/examples/features" video

# list: upstream first, one line per feature, the project version last.
run_materia -p video features list
expect_code 0 "list"
expect_out "KEY" "list header"
if [ "$(sed -n '2p;3p;4p' <<<"$OUT" | awk '{print $1}' | tr '\n' ' ')" = "video/raw video/crop video/embed " ]; then
  ok
else
  fail "list order: $OUT"
fi
expect_out "frames, audio, thumbnail" "list fields"
if grep -qE '^video/crop +[0-9a-f]{16} +frames, audio, thumbnail +video/raw$' <<<"$OUT"; then ok; else fail "crop line: $OUT"; fi
if grep -qE '^3 features, project version [0-9a-f]{16}$' <<<"$OUT"; then ok; else fail "list footer: $OUT"; fi
# --project after the command works too.
run_materia features list -p video
expect_code 0 "list with -p after the command"
run_materia -p video features list --format json
json_check "list as JSON" "[f['key'] for f in doc['features']] == ['video/raw', 'video/crop', 'video/embed'] \
  and doc['features'][2]['upstream'] == ['video/crop'] and doc['features'][0]['fields'] == ['frames', 'audio'] \
  and all(len(f['version']) == 16 for f in doc['features'])"

# describe: id columns, deps with rename/select/filters, lineage, fields and their parents.
run_materia -p video features describe video/crop
expect_code 0 "describe"
expect_out "feature video/crop" "describe title"
expect_out "  description: frames cropped to the speaker's face" "describe description"
expect_out "  id columns: video_id" "describe id columns"
expect_out "  lineage: one_to_one" "describe lineage"
expect_out "  defined at: features/crop.yaml:2:1" "describe location"
expect_out "  downstream: video/embed" "describe downstream"
expect_out "      rename: frames -> raw_frames" "describe rename"
expect_out "      select: video_id, raw_frames, audio" "describe select"
expect_out "      filter: duration_seconds > 0" "describe filter"
if grep -qE '^    thumbnail +code_version 1  version [0-9a-f]{16}  <- video/raw.frames$' <<<"$OUT"; then ok; else fail "thumbnail line: $OUT"; fi
if grep -qE '^    frames +code_version 2  version [0-9a-f]{16}  <- video/raw.frames$' <<<"$OUT"; then ok; else fail "frames line: $OUT"; fi
run_materia -p video features describe video/embed
expect_out "  lineage: expansion by chunk" "describe expansion"
expect_out "  id columns: video_id, chunk" "describe two id columns"
expect_out "<- video/crop.audio, video/crop.frames, video/crop.thumbnail" "default field deps: every upstream field"
run_materia -p video features describe video/embed --format json
json_check "describe as JSON" "doc['lineage'] == {'type': 'expansion', 'by': ['chunk']} \
  and doc['fields'][1]['key'] == 'transcript' and doc['fields'][1]['code_version'] == '1' \
  and doc['fields'][1]['parents'] == [{'feature': 'video/crop', 'field': 'audio'}]"
run_materia -p video features describe video/crop --format json
json_check "describe deps as JSON" "doc['deps'] == [{'feature': 'video/raw', 'rename': {'frames': 'raw_frames'}, \
  'select': ['video_id', 'raw_frames', 'audio'], 'filters': ['duration_seconds > 0']}]"
run_materia -p video features describe video/nothing
expect_code 2 "describe an unknown feature"
expect_err "error: no feature 'video/nothing' in features/ (see materia features list)" "describe an unknown feature"

# graph in three formats.
run_materia -p video features graph
expect_code 0 "graph"
expect_out "graph LR" "mermaid header"
expect_out "  f0 --> f1" "mermaid raw -> crop"
expect_out "  f1 --> f2" "mermaid crop -> embed"
run_materia -p video features graph --format dot
expect_out '  "video/raw" -> "video/crop";' "dot edge"
run_materia -p video features graph --format json
json_check "graph as JSON" "doc['edges'] == [{'from': 'video/raw', 'to': 'video/crop'}, {'from': 'video/crop', 'to': 'video/embed'}] \
  and doc['features'][0]['downstream'] == ['video/crop']"

# Versions: bumping crop's thumbnail changes crop and embed (embedding reads every crop
# field) but not raw, and not embed's transcript (it reads only crop's audio).
version_of() {  # version_of FEATURE [FIELD]
  local doc
  doc=$("$MATERIA" -p video features describe "$1" --format json)
  JSON="$doc" python3 -c "import json, os, sys
doc = json.loads(os.environ['JSON'])
print(doc['version'] if len(sys.argv) < 2 else [f['version'] for f in doc['fields'] if f['key'] == sys.argv[1]][0])" "${@:2}"
}
raw_before=$(version_of video/raw)
crop_before=$(version_of video/crop)
embed_before=$(version_of video/embed)
transcript_before=$(version_of video/embed transcript)
embedding_before=$(version_of video/embed embedding)
python3 - video/features/crop.yaml <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
text = text.replace('key: thumbnail\n    code_version: "1"', 'key: thumbnail\n    code_version: "2"')
open(path, "w").write(text)
PY
[ "$(version_of video/raw)" = "$raw_before" ] && ok || fail "raw's version moved"
[ "$(version_of video/crop)" != "$crop_before" ] && ok || fail "crop's version did not move"
[ "$(version_of video/embed)" != "$embed_before" ] && ok || fail "embed's version did not move"
[ "$(version_of video/embed embedding)" != "$embedding_before" ] && ok || fail "embedding did not move"
[ "$(version_of video/embed transcript)" = "$transcript_before" ] && ok || fail "transcript moved"

# The version length comes from config.yaml.
sed -i 's/version_length: 16/version_length: 8/' video/config.yaml
run_materia -p video features list --format json
json_check "version_length 8" "all(len(f['version']) == 8 for f in doc['features'])"
sed -i 's/version_length: 8/version_length: 100/' video/config.yaml
run_materia -p video features list
expect_code 2 "version_length out of range"
expect_err "error: config.yaml:10:28: features.version_length must be a whole number from 8 to 64" "version_length out of range"

# Errors: one line, file:line:col, exit 2.
write_config bad
mkdir -p bad/features
cat > bad/features/a.yaml <<'YAML'
key: video/crop
id_columns: [video_id]
deps:
  - video/embed
YAML
cat > bad/features/b.yaml <<'YAML'
key: video/embed
id_columns: [video_id]
deps: [video/crop]
YAML
run_materia -p bad features list
expect_code 2 "cycle"
expect_err "error: features/a.yaml:4:5: cycle in the feature graph: video/crop -> video/embed -> video/crop" "cycle"

cat > bad/features/b.yaml <<'YAML'
key: video/embed
id_columns: [video_id]
YAML
cat > bad/features/a.yaml <<'YAML'
key: video/crop
id_columns: [video_id]
deps: [video/rw]
YAML
run_materia -p bad features graph
expect_code 2 "unknown dependency"
expect_err "error: features/a.yaml:3:8: feature 'video/crop' depends on unknown feature 'video/rw'" "unknown dependency"

cat > bad/features/a.yaml <<'YAML'
key: video/crop
id_columns: [video_id]
deps: [video/embed]
fields:
  - key: frames
    deps: [{feature: video/embed, fields: [pixels]}]
YAML
run_materia -p bad features describe video/crop
expect_code 2 "unknown upstream field"
expect_err "error: features/a.yaml:6:12: field 'frames' of feature 'video/crop' depends on unknown field 'pixels' of feature 'video/embed' (its fields: default)" "unknown upstream field"

cat > bad/features/a.yaml <<'YAML'
key: video/crop
id_column: [video_id]
YAML
run_materia -p bad features
expect_code 2 "unknown key"
expect_err "error: features/a.yaml:2:1: unknown key 'id_column' in a feature (known keys: key, description, id_columns, deps, fields, lineage)" "unknown key"

mkdir -p bad/features/more
printf 'key: video/crop\nid_columns: [video_id]\n' > bad/features/a.yaml
printf -- '- key: video/crop\n  id_columns: [video_id]\n' > bad/features/more/c.yaml
run_materia -p bad features list
expect_code 2 "duplicate key"
expect_err "error: features/more/c.yaml:1:3: feature 'video/crop' is also defined in features/a.yaml:1:1" "duplicate key"

finish
