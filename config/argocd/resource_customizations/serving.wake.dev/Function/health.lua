-- Argo CD health of a Wake Function (serving.wake.dev).
--
-- Healthy:     Wake observed the current generation and Ready is True: the
--              latest revision is ready. A Function scaled to zero stays
--              Ready, hence Healthy.
-- Degraded:    Ready is False (the latest revision failed, or a Revision of
--              the name Wake wants is not the Function's); the message is
--              Ready's.
-- Progressing: anything else: no status yet, the generation not observed
--              yet, Ready Unknown (the latest revision is rolling out) or
--              absent.
--
-- While the latest revision is not ready, the Function's traffic stays on
-- the last ready one; the Degraded and Progressing messages say which.
--
-- Only Argo CD's base and table libraries are used, so that the script runs
-- from argocd-cm as well, where the string library is not loaded.
local hs = {}

-- describe is a condition's message, else its reason, else fallback.
local function describe(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  if c ~= nil and c.reason ~= nil and c.reason ~= "" then
    return c.reason
  end
  return fallback
end

local st = obj.status
if st == nil or st.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for Wake to observe the Function"
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and st.observedGeneration ~= generation then
  hs.status = "Progressing"
  hs.message = "Waiting for Wake to observe generation " .. generation .. " (status is of generation " .. st.observedGeneration .. ")"
  return hs
end

-- ready is the Ready condition; notes are the messages of the informational
-- conditions (severity Warning or Info), which never decide Ready.
local ready = nil
local notes = ""
if st.conditions ~= nil then
  for _, c in ipairs(st.conditions) do
    if c.type == "Ready" then
      ready = c
    elseif (c.severity == "Warning" or c.severity == "Info") and c.message ~= nil and c.message ~= "" then
      notes = notes .. "; " .. tostring(c.type) .. " is " .. tostring(c.status) .. ": " .. c.message
    end
  end
end
-- stays names the revision that keeps the traffic while the latest one is
-- not ready.
local stays = ""
if st.latestReadyRevisionName ~= nil and st.latestReadyRevisionName ~= st.latestCreatedRevisionName then
  stays = "; traffic stays on revision " .. st.latestReadyRevisionName
end
if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = describe(ready, "Ready is False") .. stays
elseif ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = "Function is ready"
  if st.latestReadyRevisionName ~= nil and st.url ~= nil then
    hs.message = hs.message .. ": revision " .. st.latestReadyRevisionName .. " serves " .. st.url
  end
  hs.message = hs.message .. notes
else
  hs.status = "Progressing"
  hs.message = describe(ready, "Waiting for the Function to become ready") .. stays
end
return hs
