#!/usr/bin/env bash
# Opens, or updates, the one pull request of a release proposal (release-watch.yml's last job):
#
#   VERSION=0.5.24 PROPOSAL=DIR BASE=main GH_TOKEN=... bash scripts/release-pull-request.sh
#
# PROPOSAL is the folder release:propose wrote (SUMMARY.md, PORT.md, proposal.json, series/,
# targets.yaml). It goes to proposals/sglang-vVERSION/ on the branch release-watch/sglang-vVERSION,
# made from BASE and force-pushed (one branch per release, never a second one). The pull request
# for that branch is found with `gh pr list --head` and edited, or created: its body is SUMMARY.md;
# a proposal whose every step passed (proposal.json ok: true) is labelled release-ready and not a
# draft, any other is a draft without that label. An unchanged proposal (same series, targets and
# verdict as on the branch) pushes nothing. No proposal folder: nothing is pushed (exit 0).
# RELEASE_PR_REMOTE overrides the push URL (the tests use a local bare repository).
set -euo pipefail
: "${VERSION:?}" "${PROPOSAL:?}" "${BASE:?}"
if [ ! -f "$PROPOSAL/proposal.json" ] || [ ! -f "$PROPOSAL/SUMMARY.md" ]; then
  echo "release-pull-request: no proposal for sglang $VERSION in $PROPOSAL: nothing pushed" >&2
  exit 0
fi
branch="release-watch/sglang-v$VERSION"
dest="proposals/sglang-v$VERSION"
remote=${RELEASE_PR_REMOTE:-https://github.com/${GITHUB_REPOSITORY:?}.git}
ok=$(jq -r '.ok' "$PROPOSAL/proposal.json")
verdict=$(sed -n '1s/^# SGLang [^:]*: //p' "$PROPOSAL/SUMMARY.md")

# git pushes with the workflow token through gh's credential helper (no token in a URL or a file).
[ -n "${RELEASE_PR_REMOTE:-}" ] || gh auth setup-git
git config user.name "github-actions[bot]"
git config user.email "41898282+github-actions[bot]@users.noreply.github.com"

git fetch -q --depth=1 "$remote" "refs/heads/$BASE"
git checkout -q -B "$branch" FETCH_HEAD
rm -rf "$dest"
mkdir -p proposals
cp -r "$PROPOSAL" "$dest"
git add -- "$dest"
git commit -q -m "release proposal: sglang $VERSION ($verdict)" -m "Written by release-watch.yml (npm run release:propose -- $VERSION)."

# What a reviewer would see change; timings alone do not make a new push.
changed=yes
if git fetch -q --depth=1 "$remote" "refs/heads/$branch" 2>/dev/null; then
  old_ok=$(git show "FETCH_HEAD:$dest/proposal.json" 2>/dev/null | jq -r '.ok' || echo none)
  if [ "$old_ok" = "$ok" ] && git diff --quiet FETCH_HEAD HEAD -- "$dest/series" "$dest/targets.yaml"; then
    changed=no
  fi
fi
if [ "$changed" = yes ]; then
  git push -q --force "$remote" "HEAD:refs/heads/$branch"
else
  echo "release-pull-request: $branch already holds this proposal: nothing pushed" >&2
fi

body=$(mktemp)
{
  cat "$PROPOSAL/SUMMARY.md"
  echo
  echo "---"
  echo "Opened by \`release-watch.yml\` from \`npm run release:propose -- $VERSION\`; the whole record is in \`$dest/\` (PORT.md, proposal.json)."
} > "$body"
title="sglang $VERSION: release proposal ($verdict)"
gh label create release-proposal --color 0e8a16 --description "Opened by release-watch.yml" --force >/dev/null
gh label create release-ready --color 1d76db --description "Every step of the release proposal passed" --force >/dev/null
number=$(gh pr list --head "$branch" --state open --json number --jq '.[0].number // empty')
if [ -z "$number" ]; then
  args=(--base "$BASE" --head "$branch" --title "$title" --body-file "$body" --label release-proposal)
  if [ "$ok" = true ]; then args+=(--label release-ready); else args+=(--draft); fi
  gh pr create "${args[@]}"
else
  gh pr edit "$number" --title "$title" --body-file "$body" --add-label release-proposal
  draft=$(gh pr view "$number" --json isDraft --jq .isDraft)
  if [ "$ok" = true ]; then
    gh pr edit "$number" --add-label release-ready
    [ "$draft" != true ] || gh pr ready "$number"
  else
    gh pr edit "$number" --remove-label release-ready
    [ "$draft" = true ] || gh pr ready "$number" --undo
  fi
fi
