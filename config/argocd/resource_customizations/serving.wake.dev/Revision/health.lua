-- Argo CD health of a Wake Revision (serving.wake.dev).
--
-- Healthy:     Wake observed the current generation and Ready is True. A
--              revision scaled to zero stays Ready, hence Healthy:
--              Active=False says it has no pods, and its message is
--              appended, as is PodsCreated=False's (a scale-up refused while
--              the revision serves).
-- Degraded:    Ready is False (the container cannot run, the Deployment or
--              Service is refused, the revision never became ready); the
--              message is Ready's.
-- Progressing: anything else: no status yet, the generation not observed
--              yet, Ready Unknown (pods are starting) or absent.
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
  hs.message = "Waiting for Wake to observe the Revision"
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
if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = describe(ready, "Ready is False")
elseif ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = "Revision is ready" .. notes
else
  hs.status = "Progressing"
  hs.message = describe(ready, "Waiting for the Revision to become ready")
end
return hs
