// Article body preview in the admin: sends the Markdown to the server's one renderer.
"use strict";
document.addEventListener("click", async (event) => {
  const button = event.target.closest(".md-preview__button");
  if (!button) return;
  const box = button.closest(".md-preview");
  const form = button.closest("form");
  const output = box.querySelector(".md-preview__output");
  const body = new FormData();
  body.append("body", form.querySelector("textarea[name=body]").value);
  output.textContent = "Rendering…";
  try {
    const response = await fetch(box.dataset.previewUrl, {
      method: "POST",
      body,
      headers: { "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(response.statusText);
    // The server returns sanitised HTML from the same pipeline the public page uses.
    output.innerHTML = await response.text();
  } catch (error) {
    output.textContent = "Preview failed: " + error.message;
  }
});
