"""Real SCORM zip packages (1.2 and 2004 manifests), and broken ones, built in memory."""

from __future__ import annotations

import io
import zipfile

MANIFEST_12 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.fractions" version="1.0"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org1">
    <organization identifier="org1">
      <title>Fractions 101</title>
      <item identifier="item1" identifierref="res1"><title>What is a fraction?</title></item>
      <item identifier="item2" identifierref="res2"><title>Adding fractions</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res1" type="webcontent" adlcp:scormtype="sco" href="intro/index.html">
      <file href="intro/index.html"/>
    </resource>
    <resource identifier="res2" type="webcontent" adlcp:scormtype="sco" href="adding.html">
      <file href="adding.html"/>
    </resource>
  </resources>
</manifest>
"""

MANIFEST_2004 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="org.example.physics" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="physics">
    <organization identifier="physics">
      <title>Kinematics</title>
      <item identifier="module1">
        <title>Module 1</title>
        <item identifier="velocity" identifierref="sco-velocity"><title>Velocity</title></item>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="sco-velocity" type="webcontent" adlcp:scormType="sco"
      href="velocity.html?lesson=1"><file href="velocity.html"/></resource>
  </resources>
</manifest>
"""

XXE_MANIFEST = """<?xml version="1.0"?>
<!DOCTYPE manifest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<manifest identifier="x"><metadata><schemaversion>1.2</schemaversion></metadata>
<organizations><organization identifier="o"><title>&xxe;</title></organization></organizations>
</manifest>
"""


def build_zip(files: dict[str, str | bytes]) -> bytes:
    """A zip archive holding ``files`` (name -> content)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def scorm12_package() -> bytes:
    """A valid SCORM 1.2 package with two SCOs."""
    return build_zip(
        {
            "imsmanifest.xml": MANIFEST_12,
            "intro/index.html": "<html><body>A fraction is a part of a whole.</body></html>",
            "adding.html": "<html><body>1/2 + 1/4 = 3/4</body></html>",
        }
    )


def scorm2004_package() -> bytes:
    """A valid SCORM 2004 package with a nested item."""
    return build_zip(
        {
            "imsmanifest.xml": MANIFEST_2004,
            "velocity.html": "<html><body>v = dx/dt</body></html>",
        }
    )
